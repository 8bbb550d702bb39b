import { EVENTS, type LakeTable, READINGS } from './schema';

/**
 * The SQL that reads the lake — the QuickSight datasets and retraining's exports — written once
 * in the dialect Athena (Trino) and DuckDB share, so the local tests run the very statements
 * AWS runs. Names are checked here: they come from the stack and configuration, never a caller.
 */
const NAME = /^[a-z][a-z0-9_]{0,63}$/;

function name(n: string): string {
  if (!NAME.test(n)) throw new Error(`invalid lake name ${n}`);
  return n;
}

export interface LakeRef {
  /** The Glue database (a DuckDB schema locally). */
  readonly database: string;
}

function table(ref: LakeRef, t: LakeTable): string {
  return `"${name(ref.database)}"."${name(t.name)}"`;
}

/** `dt` bound of the last `days` days (partition pruning), as both engines compute it. */
function sinceDays(days: number): string {
  if (!Number.isInteger(days) || days < 1) throw new Error(`invalid day count ${days}`);
  return `dt >= CAST(CAST(current_date - INTERVAL '${days}' DAY AS date) AS varchar)`;
}

/** `dt` and `ts` bounds of [sinceMs, untilMs). */
function between(sinceMs: number, untilMs: number): string {
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const ts = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  return (
    `dt >= '${day(sinceMs)}' AND dt <= '${day(untilMs)}' ` +
    `AND ts >= TIMESTAMP '${ts(sinceMs)}' AND ts < TIMESTAMP '${ts(untilMs)}'`
  );
}

export interface LakeDatasetQuery {
  readonly name: string;
  readonly sql: string;
  /** Output columns and their QuickSight types. */
  readonly columns: readonly {
    readonly name: string;
    readonly type: 'STRING' | 'INTEGER' | 'DECIMAL' | 'DATETIME';
  }[];
  /** The lake columns the statement reads, checked against the declared schema by a test. */
  readonly reads: { readonly table: LakeTable['name']; readonly columns: readonly string[] }[];
}

export type LakeDatasetKey = 'telemetry' | 'anomalies' | 'predictions' | 'workOrders';

/** The operator datasets over the lake (QuickSight direct query through Athena). */
export function lakeDatasets(
  ref: LakeRef,
  o: { readonly telemetryDays: number; readonly eventDays: number; readonly measures: readonly string[] },
): Record<LakeDatasetKey, LakeDatasetQuery> {
  if (o.measures.length === 0) throw new Error('the telemetry dataset needs at least one measure');
  const charted = o.measures.map((m) => `'${name(m)}'`).join(', ');
  const readings = table(ref, READINGS);
  const events = table(ref, EVENTS);
  const eventSince = sinceDays(o.eventDays);
  return {
    telemetry: {
      name: 'Telemetry, 1-minute rollups',
      sql:
        `SELECT device_id, site, date_trunc('minute', ts) AS minute, measure, avg(value) AS avg_value, ` +
        `min(value) AS min_value, max(value) AS max_value, count(value) AS readings FROM ${readings} ` +
        `WHERE ${sinceDays(o.telemetryDays)} AND measure IN (${charted}) GROUP BY device_id, site, date_trunc('minute', ts), measure`,
      columns: [
        { name: 'device_id', type: 'STRING' },
        { name: 'site', type: 'STRING' },
        { name: 'minute', type: 'DATETIME' },
        { name: 'measure', type: 'STRING' },
        { name: 'avg_value', type: 'DECIMAL' },
        { name: 'min_value', type: 'DECIMAL' },
        { name: 'max_value', type: 'DECIMAL' },
        { name: 'readings', type: 'INTEGER' },
      ],
      reads: [{ table: 'readings', columns: ['device_id', 'site', 'ts', 'measure', 'value', 'dt'] }],
    },
    anomalies: {
      name: 'Anomalies',
      sql: `SELECT device_id, site, source, ts AS time, score, severity FROM ${events} WHERE kind = 'anomaly' AND ${eventSince}`,
      columns: [
        { name: 'device_id', type: 'STRING' },
        { name: 'site', type: 'STRING' },
        { name: 'source', type: 'STRING' },
        { name: 'time', type: 'DATETIME' },
        { name: 'score', type: 'DECIMAL' },
        { name: 'severity', type: 'STRING' },
      ],
      reads: [
        {
          table: 'events',
          columns: ['device_id', 'site', 'source', 'ts', 'score', 'severity', 'kind', 'dt'],
        },
      ],
    },
    predictions: {
      name: 'Failure predictions',
      sql:
        'SELECT device_id, site, source, ts AS time, probability, horizon_ms ' +
        `FROM ${events} WHERE kind = 'prediction' AND ${eventSince}`,
      columns: [
        { name: 'device_id', type: 'STRING' },
        { name: 'site', type: 'STRING' },
        { name: 'source', type: 'STRING' },
        { name: 'time', type: 'DATETIME' },
        { name: 'probability', type: 'DECIMAL' },
        { name: 'horizon_ms', type: 'INTEGER' },
      ],
      reads: [
        {
          table: 'events',
          columns: ['device_id', 'site', 'source', 'ts', 'probability', 'horizon_ms', 'kind', 'dt'],
        },
      ],
    },
    workOrders: {
      name: 'Work orders',
      // One row per order: its latest state.
      sql:
        'SELECT work_order_id, device_id, site, max_by(status, ts) AS status, max_by(severity, ts) AS severity, ' +
        'max_by(score, ts) AS score, max_by(label, ts) AS label, max(opened_at) AS opened_at, max(ts) AS updated_at ' +
        `FROM ${events} WHERE kind = 'work_order' AND ${eventSince} GROUP BY work_order_id, device_id, site`,
      columns: [
        { name: 'work_order_id', type: 'STRING' },
        { name: 'device_id', type: 'STRING' },
        { name: 'site', type: 'STRING' },
        { name: 'status', type: 'STRING' },
        { name: 'severity', type: 'STRING' },
        { name: 'score', type: 'DECIMAL' },
        { name: 'label', type: 'STRING' },
        { name: 'opened_at', type: 'DATETIME' },
        { name: 'updated_at', type: 'DATETIME' },
      ],
      reads: [
        {
          table: 'events',
          columns: [
            'work_order_id',
            'device_id',
            'site',
            'status',
            'severity',
            'score',
            'label',
            'opened_at',
            'ts',
            'kind',
            'dt',
          ],
        },
      ],
    },
  };
}

/**
 * One row per reading (device, time) holding every training measure, in their order, over
 * [sinceMs, untilMs): the readings table pivoted back. Retraining's training data (Athena UNLOAD
 * of this SELECT) and its evaluation readings.
 */
export function trainingSelect(
  ref: LakeRef,
  o: {
    readonly measures: readonly string[];
    readonly sinceMs: number;
    readonly untilMs: number;
    readonly withKeys?: boolean;
  },
): string {
  const cols = o.measures.map((m) => `max(CASE WHEN measure = '${name(m)}' THEN value END) AS ${name(m)}`);
  const keys = o.withKeys ? 'device_id, site, ts, max(seq) AS seq, ' : '';
  const present = o.measures.map((m) => `${m} IS NOT NULL`).join(' AND ');
  return (
    `SELECT ${o.measures.join(', ')}${o.withKeys ? ', device_id, site, ts, seq' : ''} FROM (` +
    `SELECT ${keys}${cols.join(', ')} FROM ${table(ref, READINGS)} ` +
    `WHERE ${between(o.sinceMs, o.untilMs)} GROUP BY device_id, site, ts` +
    `) AS r WHERE ${present} ORDER BY ${o.withKeys ? 'ts, device_id' : '1'}`
  );
}

/** The UNLOAD that writes the training rows as headerless CSV under `s3Uri` (data files only). */
export function trainingUnload(
  ref: LakeRef,
  o: {
    readonly measures: readonly string[];
    readonly sinceMs: number;
    readonly untilMs: number;
    readonly s3Uri: string;
  },
): string {
  if (!/^s3:\/\/[a-z0-9.-]+\/[A-Za-z0-9/_.-]*\/$/.test(o.s3Uri))
    throw new Error(`invalid UNLOAD target ${o.s3Uri}`);
  return (
    `UNLOAD (${trainingSelect(ref, o)}) TO '${o.s3Uri}' ` +
    `WITH (format = 'TEXTFILE', field_delimiter = ',', compression = 'NONE')`
  );
}

/** Per-device windows of `windowMinutes`: avg, stddev_pop, min, max of each measure, in order. */
export function featureWindowsSelect(
  ref: LakeRef,
  o: {
    readonly measures: readonly string[];
    readonly sinceMs: number;
    readonly untilMs: number;
    readonly windowMinutes: number;
  },
): string {
  if (!Number.isInteger(o.windowMinutes) || o.windowMinutes < 1) throw new Error('invalid window');
  const w = `date_trunc('minute', ts) - (minute(ts) % ${o.windowMinutes}) * INTERVAL '1' MINUTE`;
  const aggs = o.measures
    .map((m) => {
      const v = `CASE WHEN measure = '${name(m)}' THEN value END`;
      return `avg(${v}), stddev_pop(${v}), min(${v}), max(${v})`;
    })
    .join(', ');
  return (
    `SELECT device_id, site, ${w} AS window_start, ${aggs} FROM ${table(ref, READINGS)} ` +
    `WHERE ${between(o.sinceMs, o.untilMs)} GROUP BY device_id, site, ${w} ORDER BY device_id, window_start`
  );
}
