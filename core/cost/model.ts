/**
 * The cost model: what a fleet makes each service do in a month (the usage), priced with a
 * region's table. The same fleet is modelled twice: the aiot way (batched readings over Basic
 * Ingest, one multi-measure record per reading, devices behind an edge core sending only
 * aggregates and events) and the naive way (one message per reading through the broker, one
 * record per measure, no edge). Pure: no AWS SDK, no clock, no I/O.
 */
import { ruleName } from '../rules';
import { TELEMETRY_SCHEMA_VERSION } from '../telemetry';
import { aggregatesTopic, basicIngestTopic, commandTopic, eventsTopic, telemetryTopic } from '../topics';
import {
  firehoseBilledBytes,
  iotMeteredMessages,
  kinesisOnDemandBilledBytes,
  kinesisPutPayloadUnits,
  lambdaGbSeconds,
  liveAnalyticsWriteUnits,
} from './metering';
import { type Evidence, type PriceKey, type PriceTable, priceOf } from './prices';
import { DEFAULT_STACK_FACTS, DEFAULT_WORKFLOW_FACTS, type StackFacts, type WorkflowFacts } from './stack';

/** Hours in the month the model bills (AWS's calculators use 730). */
export const HOURS_PER_MONTH = 730;
const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
const GB = 1024 ** 3;

export type Backend = 'timestream-liveanalytics' | 'timestream-influxdb';

/** The deployment: what lib/config.ts configures, plus what the stack itself is made of. */
export interface Deployment {
  readonly backend: Backend;
  /** Timestream for InfluxDB instance class. */
  readonly influxInstanceClass: string;
  /** Storage allocated to the InfluxDB instance (GB). */
  readonly influxStorageGb: number;
  readonly memoryRetentionHours: number;
  readonly magneticRetentionDays: number;
  readonly kinesisCapacityMode: 'ON_DEMAND' | 'PROVISIONED';
  readonly kinesisShards: number;
  readonly kinesisRetentionHours: number;
  /** The stream processor's event source mapping. */
  readonly batchSize: number;
  readonly batchWindowSeconds: number;
  readonly inferenceMode: 'serverless' | 'instance';
  readonly inferenceInstanceType: string;
  readonly trainingInstanceType: string;
  readonly retrainingRunsPerMonth: number;
  /** QuickSight operator dashboard deployed (`quicksightPrincipalArn` set). */
  readonly quicksight: boolean;
  /** The S3 data lake (Firehose → Parquet, Glue table, Athena). */
  readonly lake: boolean;
  readonly stack: StackFacts;
  readonly workflows: Readonly<Record<'anomalyResponse' | 'retraining', WorkflowFacts>>;
}

/** The fleet and how it is used. */
export interface FleetProfile {
  readonly devices: number;
  readonly readingsPerSecond: number;
  readonly measuresPerReading: number;
  /** Readings a device batches into one message (the agent's `batch.maxReadings`). */
  readonly readingsPerMessage: number;
  /** Share of the devices that publish to a Greengrass core instead of IoT Core (0–1). */
  readonly edgeShare: number;
  readonly devicesPerCore: number;
  /** The edge component's aggregation window (seconds): one aggregates message per device and window. */
  readonly edgeWindowSeconds: number;
  /** Anomalies per device per day (each starts the response workflow and commands the device). */
  readonly anomaliesPerDeviceDay: number;
  readonly apiRequestsPerMonth: number;
  /** Queries a month from dashboards (QuickSight on the lake; the query API on the hot store). */
  readonly dashboardQueriesPerMonth: number;
  readonly quicksightAuthors: number;
  readonly quicksightReaders: number;
  /** Months of history already held (storage lines); capped by the retention settings. */
  readonly historyMonths: number;
}

/**
 * Engineering assumptions that are not prices: how long code runs, how large things are. They are
 * stated in docs/cost.md and can be changed by whoever knows better for their devices.
 */
export interface Assumptions {
  /** Stream-processor time per invocation besides the work below (ms). */
  readonly lambdaBaseMs: number;
  /** Parse + validate per message (ms); `npm run bench:stream` measures ≈ 0.03 ms per 10-reading message. */
  readonly lambdaPerMessageMs: number;
  /** One write call to the hot store (ms). */
  readonly storeCallMs: number;
  /** One call to the scoring endpoint (ms); the stream processor scores each message. */
  readonly endpointCallMs: number;
  /** Compute time of one serverless inference (ms). */
  readonly endpointComputeMs: number;
  /** Points per InfluxDB line-protocol write (LiveAnalytics takes at most 100 records a call). */
  readonly influxPointsPerWrite: number;
  /** Lambda log bytes per invocation (START/END/REPORT lines and the function's own). */
  readonly logBytesPerInvocation: number;
  /** Stored bytes per value in Parquet, compressed. */
  readonly parquetBytesPerValue: number;
  /** Length of a measure name in the payload (the simulator's are 11–14). */
  readonly measureNameLength: number;
  /** Minutes one SageMaker training or transform job runs. */
  readonly sagemakerJobMinutes: number;
  /** Timestream TCU-seconds one query is billed (4 TCUs minimum × 30 s minimum). */
  readonly tcuSecondsPerQuery: number;
  /** Custom metrics the functions publish (Powertools metrics). */
  readonly customMetrics: number;
  /** KMS requests a month per Kinesis shard (data keys refreshed every few minutes). */
  readonly kmsRequestsPerShardMonth: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  lambdaBaseMs: 20,
  lambdaPerMessageMs: 0.05,
  storeCallMs: 30,
  endpointCallMs: 15,
  endpointComputeMs: 10,
  influxPointsPerWrite: 5000,
  logBytesPerInvocation: 500,
  parquetBytesPerValue: 4,
  measureNameLength: 14,
  sagemakerJobMinutes: 10,
  tcuSecondsPerQuery: 4 * 30,
  customMetrics: 6,
  kmsRequestsPerShardMonth: 12 * HOURS_PER_MONTH,
};

export const DEFAULT_DEPLOYMENT: Deployment = {
  // The stack's default: the backend every account can deploy (lib/config.ts).
  backend: 'timestream-influxdb',
  influxInstanceClass: 'db.influx.medium',
  influxStorageGb: 20,
  memoryRetentionHours: 24,
  magneticRetentionDays: 365,
  kinesisCapacityMode: 'ON_DEMAND',
  kinesisShards: 1,
  kinesisRetentionHours: 24,
  batchSize: 100,
  batchWindowSeconds: 1,
  inferenceMode: 'serverless',
  inferenceInstanceType: 'ml.m5.large',
  trainingInstanceType: 'ml.m5.large',
  retrainingRunsPerMonth: DAYS_PER_MONTH / 7,
  quicksight: false,
  lake: true,
  stack: DEFAULT_STACK_FACTS,
  workflows: DEFAULT_WORKFLOW_FACTS,
};

export const DEFAULT_PROFILE: FleetProfile = {
  devices: 1000,
  readingsPerSecond: 1,
  measuresPerReading: 8,
  readingsPerMessage: 10,
  edgeShare: 0,
  devicesPerCore: 50,
  edgeWindowSeconds: 60,
  anomaliesPerDeviceDay: 0.1,
  apiRequestsPerMonth: 100_000,
  dashboardQueriesPerMonth: 10_000,
  quicksightAuthors: 1,
  quicksightReaders: 5,
  historyMonths: 12,
};

export type Design = 'aiot' | 'naive';

/** One billed quantity: `quantity` units of `priceKey`'s unit (already divided by its per-N). */
export interface UsageLine {
  readonly service: string;
  readonly item: string;
  readonly quantity: number;
  /** What `quantity` counts, e.g. `million messages`. */
  readonly unit: string;
  readonly priceKey: PriceKey;
}

export interface PricedLine extends UsageLine {
  /** USD a month; null when the price is missing. */
  readonly usd: number | null;
  readonly evidence: Evidence;
}

/** Something the user should know about the result (capacity, what is not modelled). */
export type Warning = string;

export interface Usage {
  readonly lines: UsageLine[];
  readonly warnings: Warning[];
  /** Throughput figures behind the lines (for the report). */
  readonly flows: Readonly<Record<string, number>>;
}

const SITE = 'plant-a';
const DEVICE = 'AIOT-0000002A';

function measureNames(count: number, length: number): string[] {
  return Array.from({ length: count }, (_, i) => `m${String(i).padStart(2, '0')}_`.padEnd(length, 'x'));
}

/** Bytes of a telemetry message in the contract (core/telemetry.ts) with representative values. */
export function telemetryPayloadBytes(readings: number, measures: number, nameLength: number): number {
  const names = measureNames(measures, nameLength);
  const values = Object.fromEntries(names.map((n) => [n, 47.213]));
  const message = {
    schema: TELEMETRY_SCHEMA_VERSION,
    deviceId: DEVICE,
    site: SITE,
    seq: 1_042_000,
    units: Object.fromEntries(names.map((n) => [n, 'mm/s'])),
    readings: Array.from({ length: readings }, (_, i) => ({ ts: 1_795_003_200_000 + i * 1000, values })),
  };
  return Buffer.byteLength(JSON.stringify(message));
}

/** Bytes of one edge aggregates message (greengrass/anomaly-detector/aggregates.ts). */
function aggregatesPayloadBytes(measures: number, nameLength: number): number {
  const names = measureNames(measures, nameLength);
  const summary = { count: 60, min: 46.102, max: 48.331, mean: 47.213, last: 47.5 };
  return Buffer.byteLength(
    JSON.stringify({
      schema: 'aiot.aggregates/1',
      deviceId: DEVICE,
      site: SITE,
      windowStart: 1_795_003_200_000,
      windowEnd: 1_795_003_260_000,
      readings: 60,
      units: Object.fromEntries(names.map((n) => [n, 'mm/s'])),
      measures: Object.fromEntries(names.map((n) => [n, summary])),
      maxScore: 0.41,
      anomalies: 0,
    }),
  );
}

/** Bytes the telemetry rule adds to each Kinesis record (topicSite, topicDeviceId, receivedAt). */
const RULE_ENVELOPE_BYTES = Buffer.byteLength(
  `,"topicSite":"${SITE}","topicDeviceId":"${DEVICE}","receivedAt":1795003200000`,
);
const EVENT_BYTES = 420;
const COMMAND_BYTES = 330;
const COMMAND_REPLY_BYTES = 200;

/** Readings per second one Kinesis shard takes, as the stream's own limits put it. */
const SHARD_RECORDS_PER_SECOND = 1000;
const SHARD_BYTES_PER_SECOND = 1024 * 1024;
const LIVEANALYTICS_RECORDS_PER_WRITE = 100;

/** A Timestream record's bytes: dimensions, measure name(s), values, time. */
function liveAnalyticsRecordBytes(measures: number, nameLength: number): number {
  const dimensions = 'deviceId'.length + DEVICE.length + 'site'.length + SITE.length;
  return dimensions + 'reading'.length + measures * (nameLength + 8) + 'seq'.length + 8 + 8;
}

/** Lambda invocations a month from a Kinesis event source mapping. */
export function streamInvocations(
  recordsPerSecond: number,
  shards: number,
  batchSize: number,
  batchWindowSeconds: number,
): number {
  if (recordsPerSecond <= 0) return 0;
  const perShard = recordsPerSecond / shards;
  // Each shard is read about once a second without a batching window; with one, a batch closes
  // when the window ends or the batch is full, whichever comes first.
  const window = batchWindowSeconds > 0 ? batchWindowSeconds : 1;
  const perShardPerSecond = perShard >= 1 / window ? Math.max(1 / window, perShard / batchSize) : perShard;
  return shards * perShardPerSecond * SECONDS_PER_MONTH;
}

/** What `profile` makes each service do in a month, the `design` way. */
export function usage(
  profile: FleetProfile,
  deployment: Deployment,
  design: Design,
  assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
): Usage {
  const naive = design === 'naive';
  const lines: UsageLine[] = [];
  const warnings: Warning[] = [];
  const add = (service: string, item: string, quantity: number, unit: string, priceKey: PriceKey) => {
    lines.push({ service, item, quantity, unit, priceKey });
  };

  const m = profile.measuresPerReading;
  const nameLength = assumptions.measureNameLength;
  const readingsPerMessage = naive ? 1 : profile.readingsPerMessage;
  const edgeShare = naive ? 0 : profile.edgeShare;
  const edgeDevices = profile.devices * edgeShare;
  const directDevices = profile.devices - edgeDevices;
  const cores = edgeDevices > 0 ? Math.ceil(edgeDevices / profile.devicesPerCore) : 0;

  // Direct devices' telemetry: one message per batch of readings.
  const directReadings = directDevices * profile.readingsPerSecond * SECONDS_PER_MONTH;
  const telemetryMessages = directReadings / readingsPerMessage;
  const payloadBytes = telemetryPayloadBytes(readingsPerMessage, m, nameLength);
  const plainTopic = telemetryTopic(SITE, DEVICE);
  const topic = naive ? plainTopic : basicIngestTopic(ruleName('prod', 'telemetry'), plainTopic);
  const meteredPerTelemetry = iotMeteredMessages(payloadBytes, Buffer.byteLength(topic));

  // Edge devices: the core sends one aggregates message per device and window, plus events.
  const aggregatesMessages = edgeDevices * (SECONDS_PER_MONTH / profile.edgeWindowSeconds);
  const aggregatesMetered = iotMeteredMessages(
    aggregatesPayloadBytes(m, nameLength),
    Buffer.byteLength(aggregatesTopic(SITE, DEVICE)),
  );
  const anomalies = profile.devices * profile.anomaliesPerDeviceDay * DAYS_PER_MONTH;
  const edgeEvents = edgeDevices * profile.anomaliesPerDeviceDay * DAYS_PER_MONTH;
  const eventMetered = iotMeteredMessages(EVENT_BYTES, Buffer.byteLength(eventsTopic(SITE, DEVICE)));
  const commandTopicBytes = Buffer.byteLength(commandTopic(SITE, DEVICE, 'safe-mode'));
  // Each anomaly commands its device and gets a reply (which the acknowledgement rule takes).
  const commandMetered =
    iotMeteredMessages(COMMAND_BYTES, commandTopicBytes) +
    iotMeteredMessages(COMMAND_REPLY_BYTES, commandTopicBytes + 4);

  // --- IoT Core
  const connectionMinutes = (directDevices + cores) * HOURS_PER_MONTH * 60;
  add(
    'IoT Core',
    'connectivity (devices and cores, always connected)',
    connectionMinutes / 1e6,
    'million minutes',
    'iot.connectivity',
  );
  const brokerMessages =
    (naive ? telemetryMessages * meteredPerTelemetry : 0) +
    aggregatesMessages * aggregatesMetered +
    edgeEvents * eventMetered +
    anomalies * commandMetered;
  add(
    'IoT Core',
    naive
      ? 'messaging (every reading through the broker)'
      : 'messaging (edge aggregates, events, commands; telemetry over Basic Ingest: none)',
    brokerMessages / 1e6,
    'million messages (5 KB units)',
    'iot.messaging',
  );
  // The telemetry rule per telemetry message, the events rule per edge event, the ack rule per reply.
  const ruleExecutions = telemetryMessages * meteredPerTelemetry + edgeEvents * eventMetered + anomalies;
  add('IoT Core', 'rules triggered', ruleExecutions / 1e6, 'million (5 KB units)', 'iot.rulesTriggered');
  add(
    'IoT Core',
    'actions executed (one per rule)',
    ruleExecutions / 1e6,
    'million (5 KB units)',
    'iot.actionsExecuted',
  );

  // --- Kinesis
  const recordBytes = payloadBytes + RULE_ENVELOPE_BYTES;
  const recordsPerSecond = telemetryMessages / SECONDS_PER_MONTH;
  const shardsNeeded = Math.max(
    1,
    Math.ceil(recordsPerSecond / SHARD_RECORDS_PER_SECOND),
    Math.ceil((recordsPerSecond * recordBytes) / SHARD_BYTES_PER_SECOND),
  );
  const provisioned = deployment.kinesisCapacityMode === 'PROVISIONED';
  const shards = provisioned ? deployment.kinesisShards : shardsNeeded;
  if (provisioned) {
    add(
      'Kinesis',
      `shard-hours (${deployment.kinesisShards} shards)`,
      deployment.kinesisShards * HOURS_PER_MONTH,
      'shard-hours',
      'kinesis.shardHour',
    );
    add(
      'Kinesis',
      'PUT payload units (25 KB each)',
      (telemetryMessages * kinesisPutPayloadUnits(recordBytes)) / 1e6,
      'million units',
      'kinesis.putPayloadUnits',
    );
    if (deployment.kinesisRetentionHours > 24) {
      add(
        'Kinesis',
        `retention beyond 24 h (${deployment.kinesisRetentionHours} h)`,
        deployment.kinesisShards * HOURS_PER_MONTH,
        'shard-hours',
        'kinesis.extendedRetentionShardHour',
      );
    }
    if (shardsNeeded > deployment.kinesisShards) {
      warnings.push(
        `${design}: the stream takes ${Math.round(recordsPerSecond)} records/s; that needs ${shardsNeeded} shards and ${deployment.kinesisShards} are configured (kinesisShards): it would throttle`,
      );
    }
  } else {
    add('Kinesis', 'on-demand stream-hours', HOURS_PER_MONTH, 'stream-hours', 'kinesis.onDemandStreamHour');
    const gbIn = (telemetryMessages * kinesisOnDemandBilledBytes(recordBytes)) / GB;
    add('Kinesis', 'data in (records rounded up to 1 KB)', gbIn, 'GB', 'kinesis.onDemandDataInGb');
    add('Kinesis', 'data out (the stream processor reads it once)', gbIn, 'GB', 'kinesis.onDemandDataOutGb');
    if (deployment.kinesisRetentionHours > 24) {
      warnings.push(
        `retention beyond 24 h on on-demand streams is billed per GB-month; not modelled (price not found)`,
      );
    }
  }

  // --- Lambda
  let lambdaRequests = 0;
  let lambdaGbs = 0;
  const invoke = (count: number, ms: number, memoryMb: number) => {
    lambdaRequests += count;
    lambdaGbs += count * lambdaGbSeconds(ms, memoryMb);
  };
  const invocations = streamInvocations(
    recordsPerSecond,
    shards,
    deployment.batchSize,
    deployment.batchWindowSeconds,
  );
  const influx = deployment.backend === 'timestream-influxdb';
  const storeRecordsPerReading = naive ? m : 1;
  if (invocations > 0) {
    const messagesPerInvocation = telemetryMessages / invocations;
    const storeRecords = messagesPerInvocation * readingsPerMessage * storeRecordsPerReading;
    const storeCalls = Math.ceil(
      storeRecords / (influx ? assumptions.influxPointsPerWrite : LIVEANALYTICS_RECORDS_PER_WRITE),
    );
    const durationMs =
      assumptions.lambdaBaseMs +
      messagesPerInvocation * (assumptions.lambdaPerMessageMs + assumptions.endpointCallMs) +
      storeCalls * assumptions.storeCallMs;
    invoke(invocations, durationMs, 512);
  }
  invoke(edgeEvents, 100, 256); // event router
  invoke(profile.apiRequestsPerMonth, 150, 512); // query API
  invoke(anomalies * deployment.workflows.anomalyResponse.lambdaTasks, 200, 256);
  invoke(deployment.retrainingRunsPerMonth * deployment.workflows.retraining.lambdaTasks, 2000, 1024);
  add(
    'Lambda',
    'requests (stream processor, event router, API, workflow tasks)',
    lambdaRequests / 1e6,
    'million requests',
    'lambda.requests',
  );
  add('Lambda', 'duration, arm64 (1 ms billing)', lambdaGbs, 'GB-seconds', 'lambda.armGbSecond');

  // --- Hot store
  const storedReadings = directReadings;
  if (influx) {
    add(
      'Timestream for InfluxDB',
      `${deployment.influxInstanceClass} instance`,
      HOURS_PER_MONTH,
      'instance-hours',
      `influxdb.instanceHour.${deployment.influxInstanceClass}`,
    );
    add(
      'Timestream for InfluxDB',
      'allocated storage',
      deployment.influxStorageGb,
      'GB-months',
      'influxdb.storageGbMonth',
    );
  } else {
    const recordBytesStored = naive
      ? liveAnalyticsRecordBytes(1, nameLength)
      : liveAnalyticsRecordBytes(m, nameLength);
    const records = storedReadings * storeRecordsPerReading;
    add(
      'Timestream for LiveAnalytics',
      naive ? 'writes (one record per measure)' : 'writes (one multi-measure record per reading)',
      (records * liveAnalyticsWriteUnits(recordBytesStored) + anomalies) / 1e6,
      'million 1 KB writes',
      'liveanalytics.writes',
    );
    const bytesPerHour = (records * recordBytesStored) / HOURS_PER_MONTH;
    add(
      'Timestream for LiveAnalytics',
      `memory store (${deployment.memoryRetentionHours} h)`,
      (bytesPerHour * deployment.memoryRetentionHours * HOURS_PER_MONTH) / GB,
      'GB-hours',
      'liveanalytics.memoryGbHour',
    );
    const heldMonths = Math.min(profile.historyMonths, deployment.magneticRetentionDays / DAYS_PER_MONTH);
    add(
      'Timestream for LiveAnalytics',
      `magnetic store (${heldMonths.toFixed(1)} months held)`,
      (records * recordBytesStored * heldMonths) / GB,
      'GB-months',
      'liveanalytics.magneticGbMonth',
    );
    const queries =
      profile.apiRequestsPerMonth + (deployment.quicksight ? 0 : profile.dashboardQueriesPerMonth);
    add(
      'Timestream for LiveAnalytics',
      'queries (API and dashboards)',
      (queries * assumptions.tcuSecondsPerQuery) / 3600,
      'TCU-hours',
      'liveanalytics.tcuHour',
    );
  }

  // --- Data lake
  // A lake row: one per reading (aiot, its measures side by side) or one per measure (naive).
  const rowBytes = naive ? 60 + nameLength + 12 : 60 + m * (nameLength + 10);
  if (deployment.lake && storedReadings > 0) {
    // aiot puts a message's rows in one Firehose record; naive sends one row per measure.
    const firehoseRecords = naive ? storedReadings * m : telemetryMessages;
    const firehoseRecordBytes = naive ? rowBytes : rowBytes * readingsPerMessage;
    const firehoseGb = (firehoseRecords * firehoseBilledBytes(firehoseRecordBytes)) / GB;
    add('Data lake', 'Firehose ingestion (5 KB increments)', firehoseGb, 'GB', 'firehose.ingestGb');
    add('Data lake', 'Firehose conversion to Parquet', firehoseGb, 'GB', 'firehose.formatConversionGb');
    const bytesPerMonth = naive
      ? storedReadings * m * (assumptions.parquetBytesPerValue + 8)
      : storedReadings * (m * assumptions.parquetBytesPerValue + 8);
    add(
      'Data lake',
      `S3 Standard (${profile.historyMonths} months held)`,
      (bytesPerMonth * profile.historyMonths) / GB,
      'GB-months',
      's3.standardGbMonth',
    );
    const scannedTb = (profile.dashboardQueriesPerMonth * (bytesPerMonth / DAYS_PER_MONTH)) / 1024 ** 4;
    add(
      'Data lake',
      'Athena (each dashboard query reads a day)',
      scannedTb,
      'TB scanned',
      'athena.tbScanned',
    );
    add(
      'Data lake',
      'Glue Data Catalog (a table, a partition a day)',
      1 + profile.historyMonths * DAYS_PER_MONTH,
      'objects',
      'glue.catalogObjectMonth',
    );
  }

  // --- The hot store's VPC: interface endpoints instead of a NAT (gateway endpoints are free).
  // What the in-VPC functions send through them is mostly the lake's rows to Firehose.
  if (influx && deployment.stack.interfaceEndpointAzs > 0) {
    add(
      'VPC endpoints',
      `${deployment.stack.interfaceEndpointAzs} interface endpoint-AZs`,
      deployment.stack.interfaceEndpointAzs * HOURS_PER_MONTH,
      'endpoint-hours',
      'vpc.interfaceEndpointHour',
    );
    if (deployment.lake && storedReadings > 0) {
      const lakeBytes = naive
        ? storedReadings * m * rowBytes
        : telemetryMessages * rowBytes * readingsPerMessage;
      add(
        'VPC endpoints',
        'data processed (rows to Firehose)',
        lakeBytes / GB,
        'GB',
        'vpc.interfaceEndpointGb',
      );
    }
  }

  // --- Step Functions
  const transitions =
    anomalies * deployment.workflows.anomalyResponse.states +
    deployment.retrainingRunsPerMonth * deployment.workflows.retraining.states;
  add(
    'Step Functions',
    'state transitions (anomaly response, retraining; at most every state)',
    transitions / 1000,
    'thousand transitions',
    'stepfunctions.transitions',
  );

  // --- SageMaker
  const jobHours =
    (deployment.retrainingRunsPerMonth *
      deployment.workflows.retraining.sagemakerJobs *
      assumptions.sagemakerJobMinutes) /
    60;
  add(
    'SageMaker',
    `training and transform jobs (${deployment.trainingInstanceType})`,
    jobHours,
    'instance-hours',
    `sagemaker.instanceHour.${deployment.trainingInstanceType}`,
  );
  if (deployment.inferenceMode === 'instance') {
    add(
      'SageMaker',
      `endpoint (${deployment.inferenceInstanceType}, always on)`,
      HOURS_PER_MONTH,
      'instance-hours',
      `sagemaker.instanceHour.${deployment.inferenceInstanceType}`,
    );
  } else {
    // One inference per stored message (lambda/shared/cloud-scoring.ts), 2048 MB endpoint.
    const gbs = (telemetryMessages * assumptions.endpointComputeMs * 2) / 1000;
    add(
      'SageMaker',
      'serverless endpoint (2048 MB, one inference per message)',
      gbs,
      'GB-seconds',
      'sagemaker.serverlessGbSecond',
    );
  }

  // --- Greengrass
  if (cores > 0)
    add(
      'Greengrass',
      `core devices (${profile.devicesPerCore} devices each)`,
      cores,
      'core device-months',
      'greengrass.coreDevice',
    );

  // --- CloudWatch
  const logGb = (lambdaRequests * assumptions.logBytesPerInvocation) / GB;
  add('CloudWatch', 'logs ingested', logGb, 'GB', 'cloudwatch.logsIngestGb');
  add('CloudWatch', 'logs stored (one month retention)', logGb, 'GB-months', 'cloudwatch.logsStorageGbMonth');
  add(
    'CloudWatch',
    'custom metrics',
    lambdaRequests > 0 ? assumptions.customMetrics : 0,
    'metric-months',
    'cloudwatch.customMetricMonth',
  );
  add('CloudWatch', 'alarms', deployment.stack.alarms, 'alarm-months', 'cloudwatch.alarmMonth');
  add(
    'CloudWatch',
    'dashboards',
    deployment.stack.dashboards,
    'dashboard-months',
    'cloudwatch.dashboardMonth',
  );

  // --- KMS
  add('KMS', 'customer managed keys', deployment.stack.kmsKeys, 'key-months', 'kms.keyMonth');
  add(
    'KMS',
    'requests (stream encryption data keys)',
    (shards * assumptions.kmsRequestsPerShardMonth) / 1e4,
    'ten-thousand requests',
    'kms.requests',
  );

  // --- Query API and QuickSight
  add(
    'API Gateway',
    'HTTP API requests',
    profile.apiRequestsPerMonth / 1e6,
    'million requests',
    'apigateway.httpRequests',
  );
  if (deployment.quicksight) {
    add('QuickSight', 'authors', profile.quicksightAuthors, 'author-months', 'quicksight.authorMonth');
    add('QuickSight', 'readers', profile.quicksightReaders, 'reader-months', 'quicksight.readerMonth');
  }

  return {
    lines,
    warnings,
    flows: {
      telemetryMessagesPerSecond: telemetryMessages / SECONDS_PER_MONTH,
      telemetryPayloadBytes: payloadBytes,
      iotUnitsPerTelemetryMessage: meteredPerTelemetry,
      storeRecordsPerSecond: (storedReadings * storeRecordsPerReading) / SECONDS_PER_MONTH,
      kinesisShards: shards,
      streamInvocationsPerSecond: invocations / SECONDS_PER_MONTH,
      edgeCores: cores,
    },
  };
}

/** Prices each line with `table`; a line whose price is missing keeps its quantity and costs null. */
export function priceLines(lines: readonly UsageLine[], table: PriceTable): PricedLine[] {
  return lines.map((line) => {
    const price = priceOf(table, line.priceKey);
    return { ...line, usd: price.usd === null ? null : line.quantity * price.usd, evidence: price.evidence };
  });
}

/** Sum of the priced lines (missing prices left out: see {@link unpricedKeys}). */
export function total(lines: readonly PricedLine[]): number {
  return lines.reduce((sum, l) => sum + (l.usd ?? 0), 0);
}

/** Price keys used by lines with a non-zero quantity and no price. */
export function unpricedKeys(lines: readonly PricedLine[]): string[] {
  return [...new Set(lines.filter((l) => l.usd === null && l.quantity > 0).map((l) => l.priceKey))];
}

export interface Estimate {
  readonly atRest: PricedLine[];
  readonly aiot: PricedLine[];
  readonly naive: PricedLine[];
  readonly aiotUsage: Usage;
  readonly naiveUsage: Usage;
  readonly totals: { readonly atRest: number; readonly aiot: number; readonly naive: number };
  readonly perDeviceMonth: { readonly aiot: number; readonly naive: number };
  /** naive ÷ aiot over the lines priced on both sides. */
  readonly ratio: number;
  readonly unpriced: string[];
}

/** The stack deployed with no device sending and nobody querying. */
export function atRestProfile(profile: FleetProfile): FleetProfile {
  return { ...profile, devices: 0, apiRequestsPerMonth: 0, dashboardQueriesPerMonth: 0, historyMonths: 0 };
}

export function estimate(
  profile: FleetProfile,
  deployment: Deployment,
  table: PriceTable,
  assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
): Estimate {
  const aiotUsage = usage(profile, deployment, 'aiot', assumptions);
  const naiveUsage = usage(profile, deployment, 'naive', assumptions);
  // At rest, scheduled retraining still runs; on an empty store it ends at its first step.
  const restUsage = usage(
    atRestProfile(profile),
    { ...deployment, retrainingRunsPerMonth: 0 },
    'aiot',
    assumptions,
  );
  const atRest = priceLines(restUsage.lines, table);
  const aiot = priceLines(aiotUsage.lines, table);
  const naive = priceLines(naiveUsage.lines, table);
  const totals = { atRest: total(atRest), aiot: total(aiot), naive: total(naive) };
  const devices = Math.max(1, profile.devices);
  return {
    atRest,
    aiot,
    naive,
    aiotUsage,
    naiveUsage,
    totals,
    perDeviceMonth: { aiot: totals.aiot / devices, naive: totals.naive / devices },
    ratio: totals.aiot > 0 ? totals.naive / totals.aiot : Number.NaN,
    unpriced: unpricedKeys([...atRest, ...aiot, ...naive]),
  };
}

/** Monthly totals by service, in the order services first appear. */
export function byService(lines: readonly PricedLine[]): Map<string, { usd: number; unpriced: boolean }> {
  const out = new Map<string, { usd: number; unpriced: boolean }>();
  for (const l of lines) {
    const s = out.get(l.service) ?? { usd: 0, unpriced: false };
    s.usd += l.usd ?? 0;
    if (l.usd === null && l.quantity > 0) s.unpriced = true;
    out.set(l.service, s);
  }
  return out;
}

export interface Variation {
  readonly setting: string;
  readonly value: string;
  readonly aiotUsd: number;
  /** Change against the base aiot total, as a fraction. */
  readonly change: number;
  /** Prices missing here and not in the base (or the reverse): the change leaves them out. */
  readonly unpricedDifference: string[];
}

/** The aiot total with one setting changed at a time: which setting moves the cost most. */
export function sensitivity(
  profile: FleetProfile,
  deployment: Deployment,
  table: PriceTable,
  assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
): Variation[] {
  const baseLines = priceLines(usage(profile, deployment, 'aiot', assumptions).lines, table);
  const base = total(baseLines);
  const baseUnpriced = new Set(unpricedKeys(baseLines));
  const run = (setting: string, value: string, p: FleetProfile, d: Deployment = deployment): Variation => {
    const lines = priceLines(usage(p, d, 'aiot', assumptions).lines, table);
    const usd = total(lines);
    const unpriced = new Set(unpricedKeys(lines));
    const unpricedDifference = [
      ...[...unpriced].filter((k) => !baseUnpriced.has(k)),
      ...[...baseUnpriced].filter((k) => !unpriced.has(k)),
    ];
    return { setting, value, aiotUsd: usd, change: base > 0 ? usd / base - 1 : 0, unpricedDifference };
  };
  const clampShare = (s: number) => Math.min(1, Math.max(0, s));
  const variations = [
    run('readings per message', String(Math.max(1, Math.round(profile.readingsPerMessage / 2))), {
      ...profile,
      readingsPerMessage: Math.max(1, Math.round(profile.readingsPerMessage / 2)),
    }),
    run('readings per message', String(Math.min(500, profile.readingsPerMessage * 2)), {
      ...profile,
      readingsPerMessage: Math.min(500, profile.readingsPerMessage * 2),
    }),
    run('edge share', '0', { ...profile, edgeShare: 0 }),
    run('edge share', String(clampShare(profile.edgeShare + 0.5)), {
      ...profile,
      edgeShare: clampShare(profile.edgeShare + 0.5),
    }),
    run('measures per reading', String(profile.measuresPerReading * 2), {
      ...profile,
      measuresPerReading: Math.min(32, profile.measuresPerReading * 2),
    }),
    run('readings per second', String(profile.readingsPerSecond * 2), {
      ...profile,
      readingsPerSecond: profile.readingsPerSecond * 2,
    }),
    run('anomalies per device-day', String(profile.anomaliesPerDeviceDay * 10), {
      ...profile,
      anomaliesPerDeviceDay: profile.anomaliesPerDeviceDay * 10,
    }),
    run('API requests a month', String(profile.apiRequestsPerMonth * 10), {
      ...profile,
      apiRequestsPerMonth: profile.apiRequestsPerMonth * 10,
    }),
    run(
      'backend',
      deployment.backend === 'timestream-influxdb' ? 'timestream-liveanalytics' : 'timestream-influxdb',
      profile,
      {
        ...deployment,
        backend:
          deployment.backend === 'timestream-influxdb' ? 'timestream-liveanalytics' : 'timestream-influxdb',
      },
    ),
    run('inference', deployment.inferenceMode === 'instance' ? 'serverless' : 'instance', profile, {
      ...deployment,
      inferenceMode: deployment.inferenceMode === 'instance' ? 'serverless' : 'instance',
    }),
  ];
  // The window only matters for devices behind a core.
  if (profile.edgeShare > 0) {
    for (const w of [profile.edgeWindowSeconds * 2, profile.edgeWindowSeconds / 2]) {
      variations.push(run('edge window (s)', String(w), { ...profile, edgeWindowSeconds: w }));
    }
  }
  // Fully priced changes first, largest first; those leaving a price out after them.
  const rank = (v: Variation) => (v.unpricedDifference.length > 0 ? -1 : Math.abs(v.change));
  return variations.sort((a, b) => rank(b) - rank(a));
}
