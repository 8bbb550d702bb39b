import { z } from 'zod';

/**
 * The deployment's configuration, read once at synth from CDK context (`cdk.json` or
 * `-c key=value`) and validated here: a bad value fails synth with a message naming the key.
 */
/** The longest stage name: every name, ARN and IoT policy of the stack is checked at this length. */
export const STAGE_MAX_LENGTH = 16;
/** A stage name of the longest allowed length, for the size checks. */
export const LONGEST_STAGE = 'x'.repeat(STAGE_MAX_LENGTH);

const Stage = z
  .string()
  .regex(
    new RegExp(`^[a-z][a-z0-9-]{0,${STAGE_MAX_LENGTH - 1}}$`),
    `lower-case letters, digits and dashes, starting with a letter, ≤ ${STAGE_MAX_LENGTH} chars`,
  );

/** The hot-store backends (docs/storage.md). */
export const STORAGE_BACKENDS = ['timestream-influxdb', 'timestream-liveanalytics'] as const;
export type StorageBackend = (typeof STORAGE_BACKENDS)[number];

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);

export const AiotConfigSchema = z.strictObject({
  /** Deployment stage; part of every name so several stages share an account. */
  stage: Stage.default('dev'),
  /** Timestream memory-store retention (hours): how late a reading may still arrive for fast writes. */
  memoryRetentionHours: positiveInt(8766).default(24),
  /** Timestream magnetic-store retention (days): how long history is kept. */
  magneticRetentionDays: positiveInt(73000).default(365),
  /** Kinesis capacity: ON_DEMAND scales by itself; PROVISIONED uses `kinesisShards`. */
  kinesisCapacityMode: z.enum(['ON_DEMAND', 'PROVISIONED']).default('ON_DEMAND'),
  kinesisShards: positiveInt(500).default(1),
  /**
   * Hours Kinesis keeps records (24–8,760, what a stream allows:
   * https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html): the window to
   * recover from a processing outage. The stream processor's mapping gives up at 7 days at most.
   */
  kinesisRetentionHours: z.coerce.number().int().min(24).max(8760).default(24),
  /**
   * The hot store. `timestream-influxdb` (the default) deploys in every account: Amazon Timestream
   * for InfluxDB in the stack's own VPC. `timestream-liveanalytics` is for accounts that already
   * use Timestream for LiveAnalytics (closed to new customers since 2025-06-20). The S3 data lake
   * is there with either (docs/storage.md).
   */
  storageBackend: z.enum(STORAGE_BACKENDS).default('timestream-influxdb'),
  /**
   * Timestream for InfluxDB instance class (`db.influx.medium` is the smallest:
   * https://docs.aws.amazon.com/ts-influxdb/latest/ts-influxdb-api/API_DbInstanceSummary.html).
   */
  influxInstanceType: z
    .enum([
      'db.influx.medium',
      'db.influx.large',
      'db.influx.xlarge',
      'db.influx.2xlarge',
      'db.influx.4xlarge',
      'db.influx.8xlarge',
      'db.influx.12xlarge',
      'db.influx.16xlarge',
    ])
    .default('db.influx.medium'),
  /** InfluxDB allocated storage (GiB): 20 to 16,384 (same page). */
  influxStorageGb: z.coerce.number().int().min(20).max(16384).default(20),
  /**
   * Sites whose devices reach IoT Core through their site's Greengrass core (comma-separated):
   * the cores' client device auth lists them. Empty: no client device components are deployed.
   */
  edgeSites: z
    .string()
    .regex(/^([a-z0-9][a-z0-9-]{0,63}(,[a-z0-9][a-z0-9-]{0,63})*)?$/, 'comma-separated site ids')
    .default('plant-1'),
  /** Where alarms are sent (an SNS e-mail subscription); none when empty. */
  alarmEmail: z.union([z.email(), z.literal('')]).default(''),
  /** Serial numbers the fleet-provisioning hook accepts (a regular expression). */
  serialPattern: z
    .string()
    .refine((p) => {
      try {
        new RegExp(p);
        return true;
      } catch {
        return false;
      }
    }, 'must be a valid regular expression')
    .default('^AIOT-[0-9A-F]{8}$'),
  /** Days quarantined payloads and rule errors are kept. */
  quarantineRetentionDays: positiveInt(3650).default(90),
  /** Lambda batching window (seconds) on the telemetry stream. */
  batchWindowSeconds: z.coerce.number().int().min(0).max(300).default(1),
  /** Lambda batch size on the telemetry stream. */
  batchSize: positiveInt(10000).default(100),
  /** Retries of a failing stream batch before it goes to the dead-letter queue. */
  streamRetryAttempts: z.coerce.number().int().min(0).max(10000).default(3),
  /** How long a device commanded to safe mode has to acknowledge before its work order escalates. */
  ackTimeoutSeconds: z.coerce.number().int().min(30).max(86400).default(300),
  /** When the retraining workflow runs (EventBridge Scheduler expression, UTC). */
  retrainingSchedule: z
    .string()
    .regex(/^(rate|cron)\(.+\)$/, 'an EventBridge Scheduler rate(...) or cron(...) expression')
    .default('rate(7 days)'),
  /** Days of history one retraining exports and trains on. */
  trainingWindowDays: positiveInt(365).default(14),
  /** SageMaker inference: serverless (pay per request) or instance-backed (steady, low latency). */
  inferenceMode: z.enum(['serverless', 'instance']).default('serverless'),
  /** Instance type of an instance-backed endpoint. */
  inferenceInstanceType: z
    .string()
    .regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, 'an ml.* instance type')
    .default('ml.m5.large'),
  /** Instance type of training and evaluation jobs. */
  trainingInstanceType: z
    .string()
    .regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, 'an ml.* instance type')
    .default('ml.m5.large'),
  /** Query API: accept JWTs from this issuer (https URL) instead of SigV4; IAM when empty. */
  apiJwtIssuer: z.union([z.url({ protocol: /^https$/ }), z.literal('')]).default(''),
  /** Query API: audiences (client ids, comma-separated) a JWT must carry one of. */
  apiJwtAudience: z
    .string()
    .regex(/^([^,\s]+(,[^,\s]+)*)?$/, 'comma-separated client ids without spaces')
    .default(''),
  /**
   * QuickSight user or group ARN that gets the operator dashboard. Empty: no QuickSight resources
   * (QuickSight needs an account subscription, so it is opt-in).
   */
  quicksightPrincipalArn: z
    .union([
      z
        .string()
        .regex(
          /^arn:aws[a-z-]*:quicksight:[a-z0-9-]+:\d{12}:(user|group)\/[\w+=,.@/-]+$/,
          'a QuickSight user or group ARN (arn:aws:quicksight:<region>:<account>:user/<namespace>/<name>)',
        ),
      z.literal(''),
    ])
    .default(''),
  /** Measures the operator dashboard charts (comma-separated); the simulator's machine profile by default. */
  quicksightMeasures: z
    .string()
    .regex(
      /^[a-z][a-z0-9_]{0,63}(,[a-z][a-z0-9_]{0,63}){0,31}$/,
      'comma-separated measure names (at most 32)',
    )
    .default('vibration_rms,bearing_temp_c,motor_current_a,pressure_kpa'),
});

export type AiotConfig = z.infer<typeof AiotConfigSchema>;
export const CONFIG_KEYS = Object.keys(AiotConfigSchema.shape) as (keyof AiotConfig)[];

/** Context access as CDK's `node.tryGetContext` provides it. */
export type ContextReader = (key: string) => unknown;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Loads and validates the configuration; throws a {@link ConfigError} naming each bad key. */
export function loadConfig(read: ContextReader): AiotConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const v = read(key);
    if (v !== undefined) raw[key] = v;
  }
  const parsed = AiotConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('\n');
    throw new ConfigError(`invalid aiot configuration (cdk.json context or -c key=value):\n${problems}`);
  }
  return parsed.data;
}

/** The query API's JWT settings (both keys set), or undefined for IAM (neither); one alone is an error. */
export function apiJwt(config: AiotConfig): { issuer: string; audience: string[] } | undefined {
  if (config.apiJwtIssuer === '' && config.apiJwtAudience === '') return undefined;
  if (config.apiJwtIssuer === '' || config.apiJwtAudience === '') {
    throw new ConfigError(
      'invalid aiot configuration: apiJwtIssuer and apiJwtAudience go together (both or neither)',
    );
  }
  return { issuer: config.apiJwtIssuer, audience: config.apiJwtAudience.split(',') };
}
