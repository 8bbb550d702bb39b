import { type Datum, QueryCommand, type TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { FEATURE_WINDOW_MS, type WindowFeatures } from '../../core/ml/predictive';
import { type HistoryReader, MAX_RECENT_READINGS, type TelemetryRecord } from '../../core/ports';

const DEVICE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Timestream prints time as `2026-11-24 12:00:00.000000000` (UTC). */
export function parseTimestreamTime(text: string): number {
  const ms = Date.parse(`${text.replace(' ', 'T').slice(0, 23)}Z`);
  if (Number.isNaN(ms)) throw new Error(`unreadable Timestream time: ${text}`);
  return ms;
}

/** Recent readings of one device from the telemetry table (multi-measure records). */
export class TimestreamHistoryReader implements HistoryReader {
  /** Set once the table has a deviceId column (a table no reading was written to has none). */
  private tableHasReadings = false;

  constructor(
    private readonly client: TimestreamQueryClient,
    private readonly databaseName: string,
    private readonly tableName: string,
  ) {}

  async recent(deviceId: string, sinceMs: number, untilMs: number): Promise<TelemetryRecord[]> {
    // The id is checked against the contract's alphabet before it goes into the query text.
    if (!DEVICE_ID.test(deviceId)) throw new Error(`invalid device id: ${deviceId}`);
    if (!(await this.hasReadings())) return [];
    const sql =
      `SELECT * FROM "${this.databaseName}"."${this.tableName}" WHERE deviceId = '${deviceId}' ` +
      `AND time >= from_milliseconds(${Math.floor(sinceMs)}) AND time < from_milliseconds(${Math.floor(untilMs)}) ` +
      `ORDER BY time DESC LIMIT ${MAX_RECENT_READINGS}`;
    return (await this.query(sql)).reverse();
  }

  /** Every device's readings in [since, until), oldest first, at most `maxRows`. */
  async range(sinceMs: number, untilMs: number, maxRows: number): Promise<TelemetryRecord[]> {
    const sql =
      `SELECT * FROM "${this.databaseName}"."${this.tableName}" ` +
      `WHERE time >= from_milliseconds(${Math.floor(sinceMs)}) AND time < from_milliseconds(${Math.floor(untilMs)}) ` +
      `ORDER BY time ASC LIMIT ${Math.floor(maxRows)}`;
    return this.query(sql);
  }

  /**
   * Timestream refuses SQL naming a column it has never stored, so until the first reading the
   * table is described rather than queried (an anomaly may be enriched before any telemetry).
   */
  private async hasReadings(): Promise<boolean> {
    if (this.tableHasReadings) return true;
    const res = await this.client.send(
      new QueryCommand({ QueryString: `DESCRIBE "${this.databaseName}"."${this.tableName}"` }),
    );
    this.tableHasReadings = (res.Rows ?? []).some((r) => r.Data?.[0]?.ScalarValue === 'deviceId');
    return this.tableHasReadings;
  }

  private async query(sql: string): Promise<TelemetryRecord[]> {
    const out: TelemetryRecord[] = [];
    let NextToken: string | undefined;
    do {
      const res = await this.client.send(new QueryCommand({ QueryString: sql, NextToken }));
      const names = (res.ColumnInfo ?? []).map((c) => c.Name ?? '');
      for (const row of res.Rows ?? []) out.push(toRecord(names, row.Data ?? []));
      NextToken = res.NextToken;
    } while (NextToken);
    return out;
  }
}

/**
 * Timestream UNLOAD of the training rows: one CSV line per reading that has every training
 * measure (no header, as Random Cut Forest reads it), encrypted with the project key.
 */
export function unloadStatement(o: {
  database: string;
  table: string;
  measures: readonly string[];
  sinceMs: number;
  untilMs: number;
  s3Uri: string;
  kmsKeyArn: string;
}): string {
  for (const m of o.measures)
    if (!/^[a-z][a-z0-9_]{0,63}$/.test(m)) throw new Error(`invalid measure name ${m}`);
  if (!/^s3:\/\/[a-z0-9.-]+\/[A-Za-z0-9/_.-]*$/.test(o.s3Uri))
    throw new Error(`invalid UNLOAD target ${o.s3Uri}`);
  const present = o.measures.map((m) => `${m} IS NOT NULL`).join(' AND ');
  return (
    `UNLOAD(SELECT ${o.measures.join(', ')} FROM "${o.database}"."${o.table}" ` +
    `WHERE time >= from_milliseconds(${Math.floor(o.sinceMs)}) AND time < from_milliseconds(${Math.floor(o.untilMs)}) ` +
    `AND ${present} ORDER BY time) TO '${o.s3Uri}' WITH (format = 'CSV', include_header = 'false', ` +
    `compression = 'NONE', encryption = 'SSE_KMS', kms_key = '${o.kmsKeyArn}')`
  );
}

/** Runs an UNLOAD; it answers with one row (rows, metadataFile, manifestFile): the rows written. */
export async function runUnload(client: TimestreamQueryClient, statement: string): Promise<number> {
  const res = await client.send(new QueryCommand({ QueryString: statement }));
  const at = (res.ColumnInfo ?? []).findIndex((c) => c.Name === 'rows');
  const rows = Number(at >= 0 ? res.Rows?.[0]?.Data?.[at]?.ScalarValue : undefined);
  if (!Number.isFinite(rows)) throw new Error('UNLOAD returned no row count');
  return rows;
}

const NOT_MEASURES = new Set(['deviceId', 'site', 'time', 'measure_name', 'seq']);

function toRecord(names: readonly string[], data: readonly Datum[]): TelemetryRecord {
  let time = 0;
  let seq = 0;
  let deviceId = '';
  let site = '';
  const measures: Record<string, number> = {};
  names.forEach((name, i) => {
    const d = data[i];
    if (!d || d.NullValue || d.ScalarValue === undefined) return;
    const v = d.ScalarValue;
    if (name === 'time') time = parseTimestreamTime(v);
    else if (name === 'seq') seq = Number(v);
    else if (name === 'deviceId') deviceId = v;
    else if (name === 'site') site = v;
    else if (!NOT_MEASURES.has(name)) {
      const n = Number(v);
      if (Number.isFinite(n)) measures[name] = n;
    }
  });
  return { deviceId, site, time, seq, measures };
}

/**
 * Per-device hourly feature windows for the failure predictor, aggregated by Timestream (mean,
 * population standard deviation, min, max of each training measure, in `WINDOW_STATS` order).
 */
export async function featureWindows(
  client: TimestreamQueryClient,
  o: { database: string; table: string; measures: readonly string[]; sinceMs: number; untilMs: number },
): Promise<WindowFeatures[]> {
  for (const m of o.measures)
    if (!/^[a-z][a-z0-9_]{0,63}$/.test(m)) throw new Error(`invalid measure name ${m}`);
  const aggregates = o.measures.map((m) => `avg(${m}), stddev_pop(${m}), min(${m}), max(${m})`).join(', ');
  const sql =
    `SELECT deviceId, site, to_milliseconds(bin(time, ${FEATURE_WINDOW_MS / 60_000}m)) AS window_start, ${aggregates} ` +
    `FROM "${o.database}"."${o.table}" ` +
    `WHERE time >= from_milliseconds(${Math.floor(o.sinceMs)}) AND time < from_milliseconds(${Math.floor(o.untilMs)}) ` +
    `GROUP BY deviceId, site, bin(time, ${FEATURE_WINDOW_MS / 60_000}m) ORDER BY deviceId, window_start`;
  const out: WindowFeatures[] = [];
  let NextToken: string | undefined;
  do {
    const res = await client.send(new QueryCommand({ QueryString: sql, NextToken }));
    for (const row of res.Rows ?? []) {
      const v = (row.Data ?? []).map((d) => (d.NullValue ? undefined : d.ScalarValue));
      const features = v.slice(3).map(Number);
      if (features.length !== o.measures.length * 4 || features.some((f) => !Number.isFinite(f))) continue;
      out.push({ deviceId: v[0]!, site: v[1]!, start: Number(v[2]), features });
    }
    NextToken = res.NextToken;
  } while (NextToken);
  return out;
}
