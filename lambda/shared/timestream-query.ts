import {
  type ColumnInfo,
  type Datum,
  QueryCommand,
  type TimestreamQueryClient,
} from '@aws-sdk/client-timestream-query';
import { CursorKeys, decodeCursor, toPage } from '../../core/cursor';
import type { AnomalyEvent } from '../../core/events';
import type {
  AnomalyQuery,
  Page,
  PageRequest,
  PredictionQuery,
  TelemetryQuery,
  TimeSeriesQueries,
} from '../../core/ports';
import {
  DEFAULT_HEALTH_POLICY,
  type DeviceDetail,
  type DeviceSummary,
  deviceHealth,
  type HealthPolicy,
  type Prediction,
  type Resolution,
  type TelemetryPoint,
} from '../../core/query/model';
import { SEVERITIES, SEVERITY_RANK_SQL, type Severity } from '../../core/severity';
import { DEVICE_ID_PATTERN, MEASURE_NAME_PATTERN } from '../../core/telemetry';
import { MULTI_MEASURE_NAME } from './timestream-store';

/**
 * SQL building blocks. Timestream's query API takes no bind parameters, so every identifier is
 * checked against a strict pattern and quoted, every value is a checked number or an escaped
 * string literal, and nothing a caller sends reaches the SQL text any other way.
 */
export const sql = {
  /** A database or table name (Timestream allows letters, digits, `_`, `-`, `.`). */
  table(database: string, table: string): string {
    for (const name of [database, table]) {
      if (!/^[A-Za-z0-9_.-]{3,256}$/.test(name))
        throw new Error(`not a Timestream name: ${JSON.stringify(name)}`);
    }
    return `"${database}"."${table}"`;
  },
  /** A measure (multi-measure attribute) column. */
  column(measure: string): string {
    if (!MEASURE_NAME_PATTERN.test(measure))
      throw new Error(`not a measure name: ${JSON.stringify(measure)}`);
    return `"${measure}"`;
  },
  deviceId(id: string): string {
    if (!DEVICE_ID_PATTERN.test(id)) throw new Error(`not a device id: ${JSON.stringify(id)}`);
    return `'${id}'`;
  },
  /** Any other text value, as a string literal with quotes doubled. */
  text(value: string): string {
    if ([...value].some((c) => c.charCodeAt(0) < 0x20))
      throw new Error('control characters are not allowed in query values');
    return `'${value.replace(/'/g, "''")}'`;
  },
  /** An epoch-ms instant as a Timestream timestamp. */
  time(ms: number): string {
    if (!Number.isSafeInteger(ms)) throw new Error(`not an epoch-ms time: ${ms}`);
    return `from_milliseconds(${ms})`;
  },
  severity(s: Severity): string {
    if (!SEVERITIES.includes(s)) throw new Error(`not a severity: ${JSON.stringify(s)}`);
    return `'${s}'`;
  },
} as const;

/** Timestream's interval literals for the rollup resolutions. */
const BIN: Readonly<Record<Exclude<Resolution, 'raw'>, string>> = {
  '1m': '1m',
  '5m': '5m',
  '15m': '15m',
  '1h': '1h',
  '1d': '1d',
};

/** Columns of a telemetry row that are not measures. */
const NON_MEASURES = new Set(['deviceId', 'site', 'measure_name', 'time', 'seq', 'first_time']);
const NUMERIC = new Set(['double', 'bigint']);
/** The columns each kind of query names; until a record carrying them was written, the answer is empty. */
const TELEMETRY_COLUMNS = ['deviceId', 'site'];
const ANOMALY_COLUMNS = ['deviceId', 'site', 'source', 'score', 'severity', 'measures'];
const PREDICTION_COLUMNS = ['deviceId', 'site', 'source', 'probability', 'horizonMs'];

type Row = Record<string, string | null>;

/** Timestream timestamps come as `2026-11-24 12:00:00.123000000` (UTC). */
export function parseTimestamp(s: string): number {
  const ms = Date.parse(`${s.replace(' ', 'T').slice(0, 23)}Z`);
  if (Number.isNaN(ms)) throw new Error(`unexpected timestamp from Timestream: ${s}`);
  return ms;
}

function scalar(d: Datum | undefined): string | null {
  if (!d || d.NullValue) return null;
  return d.ScalarValue ?? null;
}

export interface TimestreamQueryOptions {
  readonly client: TimestreamQueryClient;
  readonly databaseName: string;
  /** @default telemetry */
  readonly telemetryTable?: string;
  /** @default events */
  readonly eventsTable?: string;
  /** Epoch ms now. @default Date.now */
  readonly clock?: () => number;
  readonly health?: HealthPolicy;
  /** How far back a device still counts as part of the fleet (bounds every scan). @default 7 days */
  readonly deviceLookbackMs?: number;
}

/**
 * The time-series read port on Timestream for LiveAnalytics. Lists are keyset paginated with
 * the same cursors as the local store; each device list page costs two queries, and every
 * query is bounded in time so Timestream scans only the partitions it needs.
 */
export class TimestreamQueryStore implements TimeSeriesQueries {
  private readonly telemetryFrom: string;
  private readonly eventsFrom: string;
  private readonly clock: () => number;
  private readonly policy: HealthPolicy;
  private readonly lookbackMs: number;
  /** Columns each table is known to have: once written, a column stays, so a yes is kept. */
  private readonly known = new Map<string, Map<string, string>>();

  constructor(private readonly opts: TimestreamQueryOptions) {
    this.telemetryFrom = sql.table(opts.databaseName, opts.telemetryTable ?? 'telemetry');
    this.eventsFrom = sql.table(opts.databaseName, opts.eventsTable ?? 'events');
    this.clock = opts.clock ?? Date.now;
    this.policy = opts.health ?? DEFAULT_HEALTH_POLICY;
    this.lookbackMs = opts.deviceLookbackMs ?? 7 * 86_400_000;
  }

  /** Runs one query and reads every result page (Timestream may split even small answers). */
  async run(queryString: string): Promise<{ rows: Row[]; columns: string[] }> {
    const rows: Row[] = [];
    let columns: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.opts.client.send(
        new QueryCommand({ QueryString: queryString, ...(nextToken ? { NextToken: nextToken } : {}) }),
      );
      const info: ColumnInfo[] = out.ColumnInfo ?? [];
      if (info.length) columns = info.map((c) => c.Name ?? '');
      for (const r of out.Rows ?? []) {
        const row: Row = {};
        (r.Data ?? []).forEach((d, i) => {
          row[columns[i]!] = scalar(d);
        });
        rows.push(row);
      }
      nextToken = out.NextToken;
    } while (nextToken);
    return { rows, columns };
  }

  /**
   * The table's columns and their types, or only those asked for when the table has them all.
   * Timestream has a column only once a record carrying it was written, and refuses SQL naming
   * any other: an empty table (or events before the first anomaly) must answer empty results,
   * not fail (https://docs.aws.amazon.com/timestream/latest/developerguide/supported-sql-constructs.DESCRIBE.html).
   */
  private async columnsOf(from: string): Promise<Map<string, string>> {
    const { rows, columns } = await this.run(`DESCRIBE ${from}`);
    const [name, type] = columns;
    const found = new Map(rows.map((r) => [r[name!] ?? '', (r[type!] ?? '').toLowerCase()]));
    this.known.set(from, found);
    return found;
  }

  private async has(from: string, needed: readonly string[]): Promise<boolean> {
    const cached = this.known.get(from);
    if (cached && needed.every((c) => cached.has(c))) return true;
    const found = await this.columnsOf(from);
    return needed.every((c) => found.has(c));
  }

  async listDevices(page: PageRequest): Promise<Page<DeviceSummary>> {
    const after = page.cursor ? decodeCursor(page.cursor, CursorKeys.device).d : undefined;
    if (!(await this.has(this.telemetryFrom, TELEMETRY_COLUMNS))) return { items: [] };
    const now = this.clock();
    const latest = await this.latestReadings(
      page.limit + 1,
      after ? `AND deviceId > ${sql.deviceId(after)}` : '',
    );
    const stats = await this.anomalyStats(
      latest.map((r) => r.deviceId),
      now,
    );
    const summaries = latest.map((r) => summary(r, stats.get(r.deviceId), now, this.policy));
    return toPage(summaries, page.limit, (d) => ({ d: d.deviceId }));
  }

  async getDevice(deviceId: string): Promise<DeviceDetail | undefined> {
    const device = sql.deviceId(deviceId);
    if (!(await this.has(this.telemetryFrom, TELEMETRY_COLUMNS))) return undefined;
    const [latest] = await this.latestReadings(1, `AND deviceId = ${device}`);
    if (!latest) return undefined;
    const now = this.clock();
    const anomaliesKept = await this.has(this.eventsFrom, ANOMALY_COLUMNS);
    const [stats, counts, prediction] = await Promise.all([
      this.anomalyStats([deviceId], now),
      anomaliesKept
        ? this.run(
            `SELECT severity, count(*) AS n FROM ${this.eventsFrom} WHERE measure_name = 'anomaly' ` +
              `AND deviceId = ${device} AND time >= ${sql.time(now - this.policy.recentWindowMs)} ` +
              'GROUP BY severity',
          )
        : { rows: [] },
      this.predictions({ deviceId, from: now - this.lookbackMs, to: now + 1, limit: 1 }),
    ]);
    const recentAnomalies = { info: 0, warning: 0, critical: 0 };
    for (const r of counts.rows) {
      if (SEVERITIES.includes(r.severity as Severity)) recentAnomalies[r.severity as Severity] = Number(r.n);
    }
    return {
      ...summary(latest, stats.get(deviceId), now, this.policy),
      firstSeen: latest.firstTime,
      recentAnomalies,
      ...(prediction.items[0] ? { latestPrediction: prediction.items[0] } : {}),
    };
  }

  async telemetry(q: TelemetryQuery): Promise<Page<TelemetryPoint>> {
    const device = sql.deviceId(q.deviceId);
    const after = q.cursor ? decodeCursor(q.cursor, CursorKeys.telemetry) : undefined;
    const range =
      `deviceId = ${device} AND measure_name = ${sql.text(MULTI_MEASURE_NAME)} ` +
      `AND time >= ${sql.time(q.from)} AND time < ${sql.time(q.to)}`;
    // Measures are the table's numeric attribute columns (described each time: a new one may
    // have come); which of them the device has in the range is counted, so a measure its
    // newest reading lacks is still rolled up.
    const columns = await this.columnsOf(this.telemetryFrom);
    if (!TELEMETRY_COLUMNS.every((c) => columns.has(c))) return { items: [] };
    const candidates = [...columns]
      .filter(([c, type]) => !NON_MEASURES.has(c) && MEASURE_NAME_PATTERN.test(c) && NUMERIC.has(type))
      .map(([c]) => c)
      .filter((c) => q.measure === undefined || c === q.measure);
    if (candidates.length === 0) return { items: [] };
    const present = await this.run(
      `SELECT ${candidates.map((m) => `count(${sql.column(m)}) AS ${sql.column(m)}`).join(', ')} ` +
        `FROM ${this.telemetryFrom} WHERE ${range}`,
    );
    const measures = candidates.filter((m) => Number(present.rows[0]?.[m] ?? 0) > 0).sort();
    if (measures.length === 0) return { items: [] };
    const parts = measures.map((m) => {
      const col = sql.column(m);
      if (q.resolution === 'raw') {
        return `SELECT time AS t, ${sql.text(m)} AS measure, ${col} AS avg, ${col} AS min, ${col} AS max, 1 AS count FROM ${this.telemetryFrom} WHERE ${range} AND ${col} IS NOT NULL`;
      }
      const bin = `bin(time, ${BIN[q.resolution]})`;
      return `SELECT ${bin} AS t, ${sql.text(m)} AS measure, avg(${col}) AS avg, min(${col}) AS min, max(${col}) AS max, count(${col}) AS count FROM ${this.telemetryFrom} WHERE ${range} AND ${col} IS NOT NULL GROUP BY ${bin}`;
    });
    const cut = after
      ? `WHERE t > ${sql.time(after.t)} OR (t = ${sql.time(after.t)} AND measure > ${sql.text(after.m)})`
      : '';
    const { rows } = await this.run(
      `SELECT * FROM (${parts.join(' UNION ALL ')}) ${cut} ORDER BY t, measure LIMIT ${q.limit + 1}`,
    );
    const points = rows.map((r) => ({
      t: parseTimestamp(r.t!),
      measure: r.measure!,
      avg: Number(r.avg),
      min: Number(r.min),
      max: Number(r.max),
      count: Number(r.count),
    }));
    return toPage(points, q.limit, (p) => ({ t: p.t, m: p.measure }));
  }

  async anomalies(q: AnomalyQuery): Promise<Page<AnomalyEvent>> {
    const filters = [
      "measure_name = 'anomaly'",
      ...(q.severities?.length ? [`severity IN (${q.severities.map(sql.severity).join(', ')})`] : []),
      ...(q.deviceId ? [`deviceId = ${sql.deviceId(q.deviceId)}`] : []),
    ];
    // Built (and every value checked) before anything is sent.
    const query = this.eventPageQuery('deviceId, site, source, time, score, severity, measures', filters, q);
    if (!(await this.has(this.eventsFrom, ANOMALY_COLUMNS))) return { items: [] };
    const { rows } = await this.run(query);
    const events = rows.map(
      (r): AnomalyEvent => ({
        schema: 'aiot.event/1',
        kind: 'anomaly',
        deviceId: r.deviceId!,
        site: r.site!,
        ts: parseTimestamp(r.time!),
        score: Number(r.score),
        severity: r.severity as Severity,
        measures: parseMeasures(r.measures),
        source: r.source!,
      }),
    );
    return toPage(events, q.limit, (e) => ({ t: e.ts, d: e.deviceId, s: e.source }));
  }

  async predictions(q: PredictionQuery): Promise<Page<Prediction>> {
    const filters = [
      "measure_name = 'prediction'",
      ...(q.deviceId ? [`deviceId = ${sql.deviceId(q.deviceId)}`] : []),
    ];
    const query = this.eventPageQuery('deviceId, site, source, time, probability, horizonMs', filters, q);
    if (!(await this.has(this.eventsFrom, PREDICTION_COLUMNS))) return { items: [] };
    const { rows } = await this.run(query);
    const items = rows.map(
      (r): Prediction => ({
        deviceId: r.deviceId!,
        site: r.site!,
        ts: parseTimestamp(r.time!),
        probability: Number(r.probability),
        horizonMs: Number(r.horizonMs),
        source: r.source!,
      }),
    );
    return toPage(items, q.limit, (p) => ({ t: p.ts, d: p.deviceId, s: p.source }));
  }

  /** Newest first by (time, device, source), resuming strictly after the cursor's key. */
  private eventPageQuery(
    columns: string,
    filters: string[],
    q: { from: number; to: number; limit: number; cursor?: string },
  ): string {
    const where = [...filters, `time >= ${sql.time(q.from)}`, `time < ${sql.time(q.to)}`];
    if (q.cursor) {
      const k = decodeCursor(q.cursor, CursorKeys.event);
      const t = sql.time(k.t);
      const d = sql.deviceId(k.d);
      where.push(
        `(time < ${t} OR (time = ${t} AND (deviceId < ${d} OR (deviceId = ${d} AND source < ${sql.text(k.s)}))))`,
      );
    }
    return (
      `SELECT ${columns} FROM ${this.eventsFrom} WHERE ${where.join(' AND ')} ` +
      `ORDER BY time DESC, deviceId DESC, source DESC LIMIT ${q.limit + 1}`
    );
  }

  /** The newest reading of up to `limit` devices (ordered by id) seen within the lookback. */
  private async latestReadings(limit: number, deviceFilter: string): Promise<LatestRow[]> {
    const since = sql.time(this.clock() - this.lookbackMs);
    const { rows, columns } = await this.run(
      `WITH latest AS (SELECT deviceId, max(time) AS last_time, min(time) AS first_time FROM ${this.telemetryFrom} ` +
        `WHERE time >= ${since} ${deviceFilter} GROUP BY deviceId ORDER BY deviceId LIMIT ${limit}) ` +
        `SELECT r.*, l.first_time FROM ${this.telemetryFrom} r JOIN latest l ` +
        `ON r.deviceId = l.deviceId AND r.time = l.last_time WHERE r.time >= ${since} ORDER BY r.deviceId`,
    );
    const measureColumns = columns.filter((c) => !NON_MEASURES.has(c));
    return rows.map((r) => {
      const measures: Record<string, number> = {};
      for (const c of measureColumns) if (r[c] !== null && r[c] !== undefined) measures[c] = Number(r[c]);
      return {
        deviceId: r.deviceId!,
        site: r.site!,
        time: parseTimestamp(r.time!),
        firstTime: parseTimestamp(r.first_time!),
        seq: Number(r.seq ?? 0),
        measures,
      };
    });
  }

  /** Per device: its last anomaly and the worst severity within the recent window. */
  private async anomalyStats(deviceIds: string[], now: number): Promise<Map<string, AnomalyStats>> {
    const stats = new Map<string, AnomalyStats>();
    if (deviceIds.length === 0 || !(await this.has(this.eventsFrom, ANOMALY_COLUMNS))) return stats;
    const { rows } = await this.run(
      `SELECT deviceId, max(time) AS last_time, max_by(severity, time) AS last_severity, max_by(score, time) AS last_score, ` +
        `max(CASE WHEN time >= ${sql.time(now - this.policy.recentWindowMs)} THEN ${SEVERITY_RANK_SQL} END) AS recent_rank ` +
        `FROM ${this.eventsFrom} WHERE measure_name = 'anomaly' AND time >= ${sql.time(now - this.lookbackMs)} ` +
        `AND deviceId IN (${deviceIds.map(sql.deviceId).join(', ')}) GROUP BY deviceId`,
    );
    for (const r of rows) {
      stats.set(r.deviceId!, {
        last: {
          ts: parseTimestamp(r.last_time!),
          severity: r.last_severity as Severity,
          score: Number(r.last_score),
        },
        worstRecent: r.recent_rank === null ? undefined : SEVERITIES[Number(r.recent_rank)],
      });
    }
    return stats;
  }
}

interface LatestRow {
  deviceId: string;
  site: string;
  time: number;
  firstTime: number;
  seq: number;
  measures: Record<string, number>;
}

interface AnomalyStats {
  last: { ts: number; severity: Severity; score: number };
  worstRecent?: Severity;
}

function summary(
  r: LatestRow,
  stats: AnomalyStats | undefined,
  now: number,
  policy: HealthPolicy,
): DeviceSummary {
  return {
    deviceId: r.deviceId,
    site: r.site,
    health: deviceHealth(r.time, stats?.worstRecent, now, policy),
    latest: { time: r.time, seq: r.seq, measures: r.measures },
    ...(stats ? { lastAnomaly: stats.last } : {}),
  };
}

/** The event's measures, stored as JSON text (cut at 2 KB by the writer, so maybe incomplete). */
function parseMeasures(text: string | null): Record<string, number> {
  if (!text) return {};
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).filter(([, n]) => typeof n === 'number')) as Record<
        string,
        number
      >;
    }
  } catch {
    // A cut-off record: the API still returns the event, without the measures it cannot read.
  }
  return {};
}
