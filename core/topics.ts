/**
 * The MQTT topic layout, after AWS's "Designing MQTT Topics for AWS IoT Core":
 * data topics start with `dt/`, command topics with `cmd/`, then the application, the site
 * and the device. A device publishes and subscribes only under its own device id; the IoT
 * policy and the local broker both enforce that from {@link deviceTopicGrants}.
 */
export const APP = 'aiot';

export type DataKind = 'telemetry' | 'events' | 'aggregates';

export const telemetryTopic = (site: string, deviceId: string): string =>
  `dt/${APP}/${site}/${deviceId}/telemetry`;
export const eventsTopic = (site: string, deviceId: string): string => `dt/${APP}/${site}/${deviceId}/events`;
export const aggregatesTopic = (site: string, deviceId: string): string =>
  `dt/${APP}/${site}/${deviceId}/aggregates`;
export const commandTopic = (site: string, deviceId: string, command: string): string =>
  `cmd/${APP}/${site}/${deviceId}/${command}`;
export const commandResponseTopic = (site: string, deviceId: string, command: string): string =>
  `${commandTopic(site, deviceId, command)}/res`;
/** Every command addressed to one device (a subscription filter). */
export const commandFilter = (site: string, deviceId: string): string => `cmd/${APP}/${site}/${deviceId}/+`;

/**
 * A site's edge command topic: the Greengrass core's edge component publishes its local commands
 * here, with the target device in the payload (`Command.deviceId`), and the MQTT bridge relays
 * them to the site's broker. One literal topic per site and command because the bridge takes no
 * MQTT wildcard in a mapping whose source is local publish/subscribe
 * (https://docs.aws.amazon.com/greengrass/v2/developerguide/mqtt-bridge-component.html#mqtt-bridge-component-configuration).
 * Its own application level, so it cannot be mistaken for a device's topic.
 */
export const EDGE_APP = `${APP}-edge`;
export const edgeCommandTopic = (site: string, command: string): string =>
  `cmd/${EDGE_APP}/${site}/${command}`;
/** Every edge command at one site (a subscription filter). */
export const edgeCommandFilter = (site: string): string => `cmd/${EDGE_APP}/${site}/+`;

/** Parses an edge command topic; undefined for any other topic. */
export function parseEdgeCommandTopic(topic: string): { site: string; command: string } | undefined {
  const parts = topic.split('/');
  if (parts.length !== 4 || parts[0] !== 'cmd' || parts[1] !== EDGE_APP || !parts[2] || !parts[3])
    return undefined;
  return { site: parts[2], command: parts[3] };
}

/**
 * Client ids a claim certificate may connect with during fleet provisioning: a device id never
 * starts with this (the pre-provisioning hook refuses such serials), so a leaked claim
 * certificate cannot connect as a device.
 */
export const PROVISIONING_CLIENT_PREFIX = 'aiot-provision-';
export const provisioningClientId = (serialNumber: string): string =>
  `${PROVISIONING_CLIENT_PREFIX}${serialNumber}`;

/** Basic Ingest: publish straight to a rule, skipping the broker (and its messaging charge). */
export const BASIC_INGEST_PREFIX = '$aws/rules/';
export const basicIngestTopic = (ruleName: string, topic: string): string =>
  `${BASIC_INGEST_PREFIX}${ruleName}/${topic}`;

/** Splits a Basic Ingest topic into the rule it targets and the topic the rule sees. */
export function splitBasicIngest(topic: string): { ruleName: string; topic: string } | undefined {
  if (!topic.startsWith(BASIC_INGEST_PREFIX)) return undefined;
  const rest = topic.slice(BASIC_INGEST_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  return { ruleName: rest.slice(0, slash), topic: rest.slice(slash + 1) };
}

export interface DeviceTopic {
  readonly direction: 'dt' | 'cmd';
  readonly site: string;
  readonly deviceId: string;
  /** `telemetry` / `events` / `aggregates` for data, the command name for commands. */
  readonly leaf: string;
  /** True for a command response (`…/<command>/res`). */
  readonly response: boolean;
}

/** Parses a topic of the layout; undefined for a topic outside it. */
export function parseDeviceTopic(topic: string): DeviceTopic | undefined {
  const parts = topic.split('/');
  if (parts.length < 5 || parts[1] !== APP) return undefined;
  const [direction, , site, deviceId, leaf, ...rest] = parts;
  if (!site || !deviceId || !leaf) return undefined;
  if (direction === 'dt' && rest.length === 0) return { direction, site, deviceId, leaf, response: false };
  if (direction === 'cmd' && rest.length === 0) return { direction, site, deviceId, leaf, response: false };
  if (direction === 'cmd' && rest.length === 1 && rest[0] === 'res') {
    return { direction, site, deviceId, leaf, response: true };
  }
  return undefined;
}

/**
 * What one device may do, as topic filters with `{deviceId}` standing for its own id
 * (the thing name it connected as). The IoT policy renders these with
 * `${iot:Connection.Thing.ThingName}`; the local broker with the MQTT client id.
 */
export const deviceTopicGrants = {
  publish: [
    'dt/aiot/+/{deviceId}/telemetry',
    'dt/aiot/+/{deviceId}/events',
    'dt/aiot/+/{deviceId}/aggregates',
    'cmd/aiot/+/{deviceId}/+/res',
  ],
  subscribe: ['cmd/aiot/+/{deviceId}/+'],
} as const;

/** MQTT topic-filter match (`+` one level, `#` the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * A decision about topics, made once per topic: a fleet publishes on a few topics per device,
 * again and again. Bounded: past `size` topics it starts afresh.
 */
export class TopicMemo<T> {
  private readonly decided = new Map<string, T>();

  constructor(
    private readonly decide: (topic: string) => T,
    private readonly size = 50_000,
  ) {}

  get(topic: string): T {
    let value = this.decided.get(topic);
    if (value === undefined) {
      value = this.decide(topic);
      if (this.decided.size >= this.size) this.decided.clear();
      this.decided.set(topic, value);
    }
    return value;
  }

  /** Forgets every decision (what they depend on has changed). */
  clear(): void {
    this.decided.clear();
  }
}

/** True when the device `deviceId` may publish on `topic` (Basic Ingest included). */
export function devicePublishAllowed(deviceId: string, topic: string): boolean {
  const target = splitBasicIngest(topic)?.topic ?? topic;
  return deviceTopicGrants.publish.some((f) => topicMatches(f.replace('{deviceId}', deviceId), target));
}

/**
 * True when the device `deviceId` may subscribe with `filter`: inside its own command space
 * `cmd/aiot/<site>/<deviceId>/…` (a wildcard for the site is fine, for the device is not), or a
 * site's edge commands `cmd/aiot-edge/<site>/…`, which a site's broker admits (client device auth)
 * and IoT Core does not (the cloud policy grants only {@link deviceTopicGrants}).
 */
export function deviceSubscribeAllowed(deviceId: string, filter: string, edge = false): boolean {
  const parts = filter.split('/');
  if (edge && parts.length === 4 && parts[0] === 'cmd' && parts[1] === EDGE_APP && parts[2] !== '#')
    return parts[2] !== '+' && parts[3] !== '#';
  return (
    parts.length >= 5 && parts[0] === 'cmd' && parts[1] === APP && parts[2] !== '#' && parts[3] === deviceId
  );
}
