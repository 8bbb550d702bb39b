import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { COMPONENT_NAME } from '../../../greengrass/anomaly-detector/config';
import { type AccessControl, IpcAuthorizer } from '../../../greengrass/anomaly-detector/ipc-authorization';
import {
  ARCHITECTURES,
  ARTIFACT_PLATFORMS,
  MIN_NODE_MAJOR,
} from '../../../greengrass/anomaly-detector/platforms';
import { anomalyDetectorRecipe, NODE_CHECK_SCRIPT } from '../../../greengrass/anomaly-detector/recipe';
import { shippedAccessControl } from '../../../local/edge-host';

const pubsub = (resources: string[], operation = 'aws.greengrass#PublishToTopic'): AccessControl => ({
  'aws.greengrass.ipc.pubsub': { [`${COMPONENT_NAME}:pubsub:1`]: { operations: [operation], resources } },
});

describe('Greengrass IPC authorization (local stand-in for the nucleus)', () => {
  it('when PublishToTopic is granted with MQTT wildcards, a concrete topic is refused: they are literal characters there', () => {
    const ipc = new IpcAuthorizer(pubsub(['cmd/aiot/+/+/safe-mode']));
    expect(ipc.allows('aws.greengrass#PublishToTopic', 'cmd/aiot/plant-1/dev-7/safe-mode')).toBe(false);
    expect(ipc.allows('aws.greengrass#PublishToTopic', 'cmd/aiot/+/+/safe-mode')).toBe(true);
  });

  it('when PublishToTopic is granted with *, any characters match, across levels too', () => {
    const ipc = new IpcAuthorizer(pubsub(['cmd/aiot/*/*/safe-mode']));
    expect(ipc.allows('aws.greengrass#PublishToTopic', 'cmd/aiot/plant-1/dev-7/safe-mode')).toBe(true);
    expect(ipc.allows('aws.greengrass#PublishToTopic', 'cmd/aiot/plant-1/dev-7/resume')).toBe(false);
    expect(ipc.allows('aws.greengrass#SubscribeToTopic', 'cmd/aiot/plant-1/dev-7/safe-mode')).toBe(false);
  });

  it('when SubscribeToTopic is granted a filter, the component may subscribe with exactly that filter', () => {
    const ipc = new IpcAuthorizer(pubsub(['dt/aiot/+/+/telemetry'], 'aws.greengrass#SubscribeToTopic'));
    expect(ipc.allows('aws.greengrass#SubscribeToTopic', 'dt/aiot/+/+/telemetry')).toBe(true);
    expect(ipc.allows('aws.greengrass#SubscribeToTopic', 'dt/aiot/#')).toBe(false);
  });

  it('when PublishToIoTCore is granted with MQTT wildcards, matching topics are allowed (mqttproxy takes them)', () => {
    const ipc = new IpcAuthorizer({
      'aws.greengrass.ipc.mqttproxy': {
        p: { operations: ['aws.greengrass#PublishToIoTCore'], resources: ['dt/aiot/+/+/events'] },
      },
    });
    expect(ipc.allows('aws.greengrass#PublishToIoTCore', 'dt/aiot/plant-1/dev-7/events')).toBe(true);
    expect(ipc.allows('aws.greengrass#PublishToIoTCore', 'dt/aiot/plant-1/dev-7/telemetry')).toBe(false);
    expect(ipc.allows('aws.greengrass#PublishToTopic', 'dt/aiot/plant-1/dev-7/events')).toBe(false);
  });

  it('when the shipped recipe is checked, every topic the component uses is granted', () => {
    const ipc = new IpcAuthorizer(shippedAccessControl());
    expect(ipc.allows('aws.greengrass#SubscribeToTopic', 'dt/aiot/+/+/telemetry')).toBe(true);
    expect(ipc.allows('aws.greengrass#PublishToTopic', 'cmd/aiot-edge/plant-1/safe-mode')).toBe(true);
    expect(ipc.allows('aws.greengrass#PublishToTopic', 'cmd/aiot-edge/plant-1/resume')).toBe(false);
    expect(ipc.allows('aws.greengrass#PublishToIoTCore', 'dt/aiot/plant-1/dev-7/aggregates')).toBe(true);
    expect(ipc.allows('aws.greengrass#PublishToIoTCore', 'dt/aiot/plant-1/dev-7/events')).toBe(true);
  });
});

describe('the recipe’s runtime requirements', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'aiot-node-check-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const install = (pathDirs: string[]) =>
    spawnSync('/bin/sh', ['-c', NODE_CHECK_SCRIPT], { env: { PATH: pathDirs.join(':') }, encoding: 'utf8' });
  const fakeNode = (version: string) => {
    const file = path.join(dir, 'node');
    writeFileSync(file, `#!/bin/sh\necho ${version}\n`);
    chmodSync(file, 0o755);
  };

  it('when the core has a recent enough Node.js, the install step passes', () => {
    const res = install([path.dirname(process.execPath), '/usr/bin', '/bin']);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
  });

  it('when the core has an older Node.js, the install step fails saying which it needs and found', () => {
    fakeNode('v18.19.1');
    const res = install([dir, '/usr/bin', '/bin']);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`needs Node.js >= ${MIN_NODE_MAJOR}; found v18.19.1`);
  });

  it('when the core has no Node.js, the install step fails saying Greengrass does not ship one', () => {
    const res = install([dir]);
    expect(res.status).toBe(1);
    expect(res.stderr).toContain('none was found (Greengrass does not ship Node.js)');
  });

  it('when the recipe is built, it declares exactly the architectures whose aws-crt binaries the artifact carries, each checking Node first', () => {
    const recipe = anomalyDetectorRecipe({ artifactUri: 's3://b/a.zip' }) as {
      Manifests: {
        Platform: { os: string; architecture: string };
        Lifecycle: { Install: { Script: string } };
      }[];
    };
    expect(recipe.Manifests.map((m) => m.Platform)).toEqual([
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'aarch64' },
    ]);
    const shipped = new Set(ARTIFACT_PLATFORMS.map((p) => p.split('-')[1]));
    expect(new Set(Object.keys(ARCHITECTURES))).toEqual(shipped);
    for (const m of recipe.Manifests) expect(m.Lifecycle.Install.Script).toBe(NODE_CHECK_SCRIPT);
  });
});
