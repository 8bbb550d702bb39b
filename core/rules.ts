/**
 * The IoT topic rules, defined once: the stack creates them in IoT Core and the local runtime
 * evaluates the very same SQL (IoT SQL version 2016-03-23).
 */
export const IOT_SQL_VERSION = '2016-03-23';

export type RuleId = 'telemetry' | 'events' | 'commandAck';

export interface RuleDefinition {
  readonly id: RuleId;
  readonly description: string;
  readonly sql: string;
  /** Partition key template for a Kinesis action (IoT substitution template). */
  readonly partitionKey?: string;
}

/**
 * The topic is authoritative: the IoT policy lets a device publish only under its own id, so
 * the rule adds the site and device id from the topic and the stream processor checks the
 * payload against them.
 */
const ENVELOPE = 'topic(3) AS topicSite, topic(4) AS topicDeviceId, timestamp() AS receivedAt';

/** A rule's output split into what the device sent and the fields {@link ENVELOPE} added. */
export interface RuleOutput {
  readonly body: unknown;
  readonly topicSite?: unknown;
  readonly topicDeviceId?: unknown;
}

/** Removes the envelope fields a rule adds (left as is for anything but a JSON object). */
export function splitRuleEnvelope(json: unknown): RuleOutput {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return { body: json };
  const { topicSite, topicDeviceId, receivedAt: _receivedAt, ...body } = json as Record<string, unknown>;
  return { body, topicSite, topicDeviceId };
}

export const RULES: Record<RuleId, RuleDefinition> = {
  telemetry: {
    id: 'telemetry',
    description: 'Device telemetry (plain topic and Basic Ingest) into the telemetry stream',
    sql: `SELECT *, ${ENVELOPE} FROM 'dt/aiot/+/+/telemetry'`,
    partitionKey: '${topic(4)}',
  },
  events: {
    id: 'events',
    description: 'Anomaly events found at the edge, to the event router',
    sql: `SELECT *, ${ENVELOPE} FROM 'dt/aiot/+/+/events' WHERE kind = 'anomaly'`,
  },
  commandAck: {
    id: 'commandAck',
    description: 'Devices acknowledging the safe-mode command, to the work-order acknowledgement handler',
    sql: "SELECT *, topic() AS topic FROM 'cmd/aiot/+/+/safe-mode/res'",
  },
};

/** The command-acknowledgement rule's output split into the topic it added and the device's answer. */
export function splitCommandAck(json: unknown): { topic: string; payload: unknown } {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return { topic: '', payload: json };
  const { topic, ...payload } = json as Record<string, unknown>;
  return { topic: typeof topic === 'string' ? topic : '', payload };
}

/**
 * IoT rule names allow only [a-zA-Z0-9_]; the stage keeps several deployments apart. `*` names
 * every rule of the stage (an ARN pattern).
 */
export function ruleName(stage: string, id: RuleId | '*'): string {
  const suffix = id.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return `aiot_${stage.replace(/[^a-zA-Z0-9_]/g, '_')}_${suffix}`;
}
