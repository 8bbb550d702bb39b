/**
 * How each service counts what it bills, apart from its price. Each rule cites the page that
 * states it.
 */

const KB = 1024;

/**
 * IoT Core meters a message in 5 KB increments: an MQTT PUBLISH is metered on its payload and
 * topic in bytes, a PUBACK as a single 5 KB message, HTTP bodies by "the number of 5 KB messages
 * required" (https://aws.amazon.com/iot-core/pricing/additional-details/); the free tier's
 * examples count rule executions of "processed message size 5 KB or smaller" as one
 * (https://aws.amazon.com/iot-core/pricing/).
 */
export function iotMeteredMessages(payloadBytes: number, topicBytes: number): number {
  return Math.max(1, Math.ceil((payloadBytes + topicBytes) / (5 * KB)));
}

/**
 * Kinesis (provisioned) bills PUT payload units of 25 KB: "a 5KB record contains one PUT Payload
 * Unit, a 45KB record contains two" (http://aws.amazon.com/kinesis/pricing/).
 */
export function kinesisPutPayloadUnits(recordBytes: number): number {
  return Math.max(1, Math.ceil(recordBytes / (25 * KB)));
}

/**
 * Kinesis on-demand bills data in per record "rounded up to the nearest 1 KB (1,024 bytes)"
 * (https://aws.amazon.com/kinesis/data-streams/pricing/). Returns the bytes billed.
 */
export function kinesisOnDemandBilledBytes(recordBytes: number): number {
  return Math.max(1, Math.ceil(recordBytes / KB)) * KB;
}

/**
 * Firehose bills ingestion "per GB ingested in 5 KB increments (a 3 KB record is billed as 5 KB,
 * a 12 KB record as 15 KB)" (https://aws.amazon.com/de/kinesis/data-firehose/pricing/).
 * Returns the bytes billed for one record.
 */
export function firehoseBilledBytes(recordBytes: number): number {
  return Math.max(1, Math.ceil(recordBytes / (5 * KB))) * 5 * KB;
}

/**
 * Timestream for LiveAnalytics counts writes "in units of 1KB" per record
 * (https://aws.amazon.com/timestream/pricing/, archived 2020-07-28; "rounded to the nearest KB"
 * on the current page).
 */
export function liveAnalyticsWriteUnits(recordBytes: number): number {
  return Math.max(1, Math.ceil(recordBytes / KB));
}

/**
 * Lambda duration is "rounded up to the nearest 1ms" (https://aws.amazon.com/lambda/pricing/).
 * Returns the GB-seconds billed for one invocation.
 */
export function lambdaGbSeconds(durationMs: number, memoryMb: number): number {
  return (Math.ceil(durationMs) / 1000) * (memoryMb / 1024);
}
