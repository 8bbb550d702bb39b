import { z } from 'zod';
import { formatIssues } from '../../core/telemetry';

/**
 * Reads a function's environment once, at cold start, against a schema: a missing or bad
 * variable fails the start with a message naming it, never a request at random later.
 */
export function loadEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid function environment: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

const name = z.string().min(1);

/**
 * Parts of function environments, one per resource a function uses. Each function composes its
 * own schema from them (`lambda/<function>/env.ts`); the construct that grants the access sets
 * the same variables, and `ProjectFunction` refuses at synth a function whose schema asks for
 * one nobody set.
 */
export const EnvParts = {
  telemetryTable: { TELEMETRY_DATABASE: name, TELEMETRY_TABLE: name },
  eventsTable: { EVENTS_DATABASE: name, EVENTS_TABLE: name },
  workOrdersTable: { WORK_ORDERS_TABLE: name },
  /** Per-device detector state of the stream path (lib/constructs/ingest/detector-state-table.ts). */
  detectorStateTable: { DETECTOR_STATE_TABLE: name },
  quarantineBucket: { QUARANTINE_BUCKET: name },
  modelBucket: { MODEL_BUCKET: name },
  /**
   * The InfluxDB hot store (Timestream for InfluxDB): where it is and how to talk to it. The
   * credentials are never here, only the Secrets Manager secret that holds them
   * (`lambda/shared/influxdb/from-env.ts` reads it; docs/storage.md).
   */
  influxdb: {
    /** e.g. `https://<endpoint>:8086` (InfluxDB 2) or `:8181` (InfluxDB 3). */
    INFLUXDB_URL: z.url({ protocol: /^https?$/ }),
    /** The database (InfluxDB 1.x, 3) or the bucket's database mapping (InfluxDB 2). */
    INFLUXDB_DATABASE: z.string().min(1).max(256),
    /** Secret holding `{"token": …}`, `{"username": …, "password": …}` or the bare token; none without authentication. */
    INFLUXDB_SECRET_ARN: z.string().startsWith('arn:').optional(),
    /** Deadline of one request: short enough that the retries fit in a Lambda invocation. */
    INFLUXDB_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
    INFLUXDB_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(4),
    /** Lines per write request (InfluxData advises 5,000). */
    INFLUXDB_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(5000),
  },
  /** The S3 data lake's delivery streams (Firehose, Parquet by date): readings; events. */
  lakeReadings: { LAKE_READINGS_STREAM: name },
  lakeEvents: { LAKE_EVENTS_STREAM: name },
  /** The lake read through Athena: workgroup, Glue database and the readings table. */
  lakeQuery: { ATHENA_WORKGROUP: name, LAKE_DATABASE: name, LAKE_READINGS_TABLE: name },
  /** Starting the anomaly-response workflow with its acknowledgement policy. */
  anomalyResponse: {
    ANOMALY_RESPONSE_ARN: z.string().startsWith('arn:'),
    ACK_POLL_SECONDS: z.coerce.number().int().min(1),
    ACK_MAX_POLLS: z.coerce.number().int().min(1),
  },
} as const;

/** The hot-store backends; the stack sets `STORAGE_BACKEND` on every function that reads or writes the store. */
export const STORAGE_BACKENDS = ['timestream-influxdb', 'timestream-liveanalytics'] as const;

/**
 * A function environment over either hot-store backend: `STORAGE_BACKEND` says which, and the
 * schema then asks for that backend's variables only (InfluxDB: {@link EnvParts.influxdb};
 * LiveAnalytics: `liveanalytics`), besides the `common` ones.
 */
export function storeEnv<C extends z.ZodRawShape, L extends z.ZodRawShape>(common: C, liveanalytics: L) {
  return z.discriminatedUnion('STORAGE_BACKEND', [
    z.object({ STORAGE_BACKEND: z.literal('timestream-influxdb'), ...EnvParts.influxdb, ...common }),
    z.object({ STORAGE_BACKEND: z.literal('timestream-liveanalytics'), ...liveanalytics, ...common }),
  ]);
}
