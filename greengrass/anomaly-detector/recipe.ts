import { createHash } from 'node:crypto';
import { aggregatesTopic, edgeCommandTopic, eventsTopic } from '../../core/topics';
import { COMPONENT_NAME, DEFAULT_EDGE_CONFIG, type EdgeConfig } from './config';
import { ARCHITECTURES, MIN_NODE_MAJOR } from './platforms';

/** Folder the artifact's zip unpacks to under `{artifacts:decompressedPath}`: the zip's name without `.zip`. */
export const artifactFolder = (artifactUri: string): string =>
  artifactUri
    .split('/')
    .pop()!
    .replace(/\.zip$/i, '');

export interface RecipeOptions {
  /** S3 URI of the zipped artifact (`s3://bucket/<hash>.zip`). */
  readonly artifactUri: string;
  /**
   * Component version; omit to derive it from the recipe content (artifact URI included), so a
   * new artifact or a new default configuration always gets a new version.
   */
  readonly version?: string;
  /** @default DEFAULT_EDGE_CONFIG */
  readonly defaultConfig?: EdgeConfig;
}

/**
 * The install step: Node.js must be on the core's PATH and at least {@link MIN_NODE_MAJOR}, or
 * the component fails to install with a message saying so (instead of a run step failing on a
 * missing `node` or on syntax an old one does not know).
 */
export const NODE_CHECK_SCRIPT = [
  `v=$(node --version 2>/dev/null) || { echo "${COMPONENT_NAME} needs Node.js >= ${MIN_NODE_MAJOR} on the PATH of the core; none was found (Greengrass does not ship Node.js)" >&2; exit 1; }`,
  'major=${v#v}; major=${major%%.*}',
  `[ "$major" -ge ${MIN_NODE_MAJOR} ] 2>/dev/null || { echo "${COMPONENT_NAME} needs Node.js >= ${MIN_NODE_MAJOR}; found $v" >&2; exit 1; }`,
].join('\n');

/** Greengrass semantic-version parts must stay within six digits. */
const PART_LIMIT = 1_000_000;

/** A version derived from content: `1.<a>.<b>` from a SHA-256 of it. */
export function contentVersion(content: string, major = 1): string {
  const h = createHash('sha256').update(content).digest();
  return `${major}.${h.readUInt32BE(0) % PART_LIMIT}.${h.readUInt32BE(4) % PART_LIMIT}`;
}

/**
 * The component recipe, defined once: the CDK construct puts it inline in the component version
 * and the docs show it. IPC access is granted for exactly the topics the configuration uses:
 * subscribe to the sensor topics, publish the local actuation command, and publish aggregates
 * and events to IoT Core.
 */
export function anomalyDetectorRecipe(options: RecipeOptions): Record<string, unknown> {
  const config = options.defaultConfig ?? DEFAULT_EDGE_CONFIG;
  const any = '+';
  // Local publish/subscribe authorization takes `*`, not MQTT wildcards, for PublishToTopic.
  const anyLevel = '*';
  const body = {
    ComponentDescription:
      'aiot edge anomaly detector: streaming detector per device on local sensor topics, window aggregates and anomaly events to IoT Core, local safe-mode before safety limits.',
    ComponentPublisher: 'aiot',
    ComponentConfiguration: {
      DefaultConfiguration: {
        ...config,
        accessControl: {
          'aws.greengrass.ipc.pubsub': {
            [`${COMPONENT_NAME}:pubsub:1`]: {
              policyDescription: 'Reads device telemetry on the local bus',
              operations: ['aws.greengrass#SubscribeToTopic'],
              resources: config.sensorTopics,
            },
            [`${COMPONENT_NAME}:pubsub:2`]: {
              policyDescription: 'Commands a device locally (safe mode) before a safety limit is crossed',
              operations: ['aws.greengrass#PublishToTopic'],
              resources: [edgeCommandTopic(anyLevel, config.actuation.command)],
            },
          },
          'aws.greengrass.ipc.mqttproxy': {
            [`${COMPONENT_NAME}:mqttproxy:1`]: {
              policyDescription: 'Sends window aggregates and anomaly events to IoT Core',
              operations: ['aws.greengrass#PublishToIoTCore'],
              resources: [aggregatesTopic(any, any), eventsTopic(any, any)],
            },
          },
        },
      },
    },
    // One manifest per architecture whose aws-crt binary the artifact carries.
    Manifests: Object.values(ARCHITECTURES).map((architecture) => ({
      Platform: { os: 'linux', architecture },
      Lifecycle: {
        Install: { Script: NODE_CHECK_SCRIPT, RequiresPrivilege: false, Timeout: 30 },
        Run: {
          Script: `node {artifacts:decompressedPath}/${artifactFolder(options.artifactUri)}/index.js {work:path}`,
          RequiresPrivilege: false,
        },
      },
      Artifacts: [
        { URI: options.artifactUri, Unarchive: 'ZIP', Permission: { Read: 'OWNER', Execute: 'NONE' } },
      ],
    })),
  };
  const version = options.version ?? contentVersion(JSON.stringify(body));
  return {
    RecipeFormatVersion: '2020-01-25',
    ComponentName: COMPONENT_NAME,
    ComponentVersion: version,
    ...body,
  };
}
