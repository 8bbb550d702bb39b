import type { AnomalyEvent } from '../events';
import type { PredictionEvent } from '../ml/predictive';
import type { TelemetryRecord } from '../ports/telemetry-store';
import type { WorkOrder } from '../workorders';

/**
 * The S3 data lake's tables: one declared schema, read by the Glue tables (and so by Firehose's
 * Parquet conversion, Athena, QuickSight and retraining) and by the local Parquet writer. Rows
 * are flat JSON objects whose keys are the columns, plus `dt`, the partition (the UTC date of
 * `ts`), which Firehose's dynamic partitioning reads and the Parquet files do not hold.
 */
export type LakeColumnType = 'string' | 'double' | 'bigint' | 'timestamp';

export interface LakeColumn {
  readonly name: string;
  readonly type: LakeColumnType;
  readonly comment: string;
}

export interface LakeTable {
  readonly name: 'readings' | 'events';
  readonly columns: readonly LakeColumn[];
}

/** The partition column of every table: `dt=YYYY-MM-DD` (UTC). */
export const PARTITION_KEY = 'dt';
/** The first day partition projection enumerates. */
export const PARTITION_START = '2024-01-01';

/** One row per reading and measure: a declared schema whatever measures devices send. */
export const READINGS: LakeTable = {
  name: 'readings',
  columns: [
    { name: 'device_id', type: 'string', comment: 'device (thing name)' },
    { name: 'site', type: 'string', comment: 'site of the device' },
    { name: 'ts', type: 'timestamp', comment: 'time of the reading (UTC, millisecond precision)' },
    { name: 'seq', type: 'bigint', comment: 'sequence number of the device message' },
    { name: 'measure', type: 'string', comment: 'measure name' },
    { name: 'value', type: 'double', comment: 'measure value' },
  ],
};

/** Anomalies, predictions and work-order states, by `kind`; a column a kind lacks is null. */
export const EVENTS: LakeTable = {
  name: 'events',
  columns: [
    { name: 'kind', type: 'string', comment: 'anomaly, prediction or work_order' },
    { name: 'device_id', type: 'string', comment: 'device (thing name)' },
    { name: 'site', type: 'string', comment: 'site of the device' },
    { name: 'ts', type: 'timestamp', comment: 'event time; for a work order its last change' },
    { name: 'source', type: 'string', comment: 'detector (anomaly) or model (prediction)' },
    { name: 'severity', type: 'string', comment: 'anomaly or work-order severity' },
    { name: 'score', type: 'double', comment: 'detector score in [0, 1]' },
    { name: 'measures', type: 'string', comment: 'anomaly: contributing measures as JSON' },
    { name: 'probability', type: 'double', comment: 'prediction: failure probability' },
    { name: 'horizon_ms', type: 'bigint', comment: 'prediction: horizon in milliseconds' },
    { name: 'work_order_id', type: 'string', comment: 'work order id' },
    { name: 'status', type: 'string', comment: 'work-order status' },
    { name: 'label', type: 'string', comment: 'work-order verdict (anomaly, false_alarm) or null' },
    { name: 'opened_at', type: 'timestamp', comment: 'work order opened at' },
  ],
};

export const LAKE_TABLES = [READINGS, EVENTS] as const;

/** The object key prefix of a table's partition: `readings/dt=2026-12-01/`. */
export function partitionPrefix(table: LakeTable['name'], dt: string): string {
  return `${table}/${PARTITION_KEY}=${dt}/`;
}

/** The UTC date of an epoch-millisecond instant, as the partition value. */
export function partitionOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * A timestamp as the lake's JSON rows carry it: `yyyy-MM-dd HH:mm:ss.SSS` (UTC), which the
 * Parquet conversion's OpenX JSON SerDe and DuckDB both read as a timestamp.
 */
export function lakeTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export type LakeRow = Readonly<Record<string, string | number | null>> & { readonly dt: string };

/** Validated readings, flattened: one row per measure. */
export function readingRows(records: readonly TelemetryRecord[]): LakeRow[] {
  const rows: LakeRow[] = [];
  for (const r of records) {
    const dt = partitionOf(r.time);
    const ts = lakeTimestamp(r.time);
    for (const [measure, value] of Object.entries(r.measures)) {
      rows.push({ device_id: r.deviceId, site: r.site, ts, seq: r.seq, measure, value, dt });
    }
  }
  return rows;
}

const EMPTY_EVENT = Object.fromEntries(EVENTS.columns.map((c) => [c.name, null])) as Record<string, null>;

export function anomalyRows(events: readonly AnomalyEvent[]): LakeRow[] {
  return events.map((e) => ({
    ...EMPTY_EVENT,
    kind: 'anomaly',
    device_id: e.deviceId,
    site: e.site,
    ts: lakeTimestamp(e.ts),
    source: e.source,
    severity: e.severity,
    score: e.score,
    measures: JSON.stringify(e.measures),
    dt: partitionOf(e.ts),
  }));
}

export function predictionRows(events: readonly PredictionEvent[]): LakeRow[] {
  return events.map((e) => ({
    ...EMPTY_EVENT,
    kind: 'prediction',
    device_id: e.deviceId,
    site: e.site,
    ts: lakeTimestamp(e.ts),
    source: e.model,
    probability: e.probability,
    horizon_ms: e.horizonMs,
    dt: partitionOf(e.ts),
  }));
}

/** One row per state of a work order, at its last change. */
export function workOrderRows(orders: readonly WorkOrder[]): LakeRow[] {
  return orders.map((o) => ({
    ...EMPTY_EVENT,
    kind: 'work_order',
    device_id: o.deviceId,
    site: o.site,
    ts: lakeTimestamp(o.updatedAt),
    severity: o.severity,
    score: o.score,
    work_order_id: o.id,
    status: o.status,
    label: o.label ?? null,
    opened_at: lakeTimestamp(o.openedAt),
    dt: partitionOf(o.updatedAt),
  }));
}
