import { CursorKeys, decodeCursor, toPage } from '../../../core/cursor';
import type { AnomalyEvent } from '../../../core/events';
import type {
  AnomalyQuery,
  HistoryReader,
  Page,
  PageRequest,
  PredictionQuery,
  TelemetryQuery,
  TelemetryRecord,
  TimeSeriesQueries,
} from '../../../core/ports';
import {
  DEFAULT_HEALTH_POLICY,
  type DeviceDetail,
  type DeviceSummary,
  deviceHealth,
  type HealthPolicy,
  type Prediction,
  type Resolution,
  type TelemetryPoint,
} from '../../../core/query/model';
import { SEVERITIES, type Severity } from '../../../core/severity';
import { emptyWhenNotFound, type InfluxClient, type Row } from './client';
import { influxql } from './influxql';
import { MEASUREMENTS, rowTime, rowToAnomaly, rowToPrediction, rowToRecord } from './schema';

/** Most readings one enrichment reads (newest first), as on Timestream: an hour of a fast device. */
export const MAX_HISTORY_ROWS = 2000;

const TELEMETRY = influxql.ident(MEASUREMENTS.telemetry);
const ANOMALY = influxql.ident(MEASUREMENTS.anomaly);
const PREDICTION = influxql.ident(MEASUREMENTS.prediction);

/** InfluxQL duration literals of the rollup resolutions (buckets start at multiples of them since the epoch). */
const GROUP_BY: Readonly<Record<Exclude<Resolution, 'raw'>, string>> = {
  '1m': '1m',
  '5m': '5m',
  '15m': '15m',
  '1h': '1h',
  '1d': '1d',
};

export interface InfluxQueryOptions {
  readonly client: InfluxClient;
  readonly database: string;
  /** Epoch ms now. @default Date.now */
  readonly clock?: () => number;
  readonly health?: HealthPolicy;
  /**
   * How far back a device still counts as part of the fleet. Every query is bounded in time so
   * InfluxDB reads only the shards (1.x/2.x) or Parquet files (3.x; a query touching more than
   * `query-file-limit`, 432 by default, is refused:
   * https://docs.influxdata.com/influxdb3/core/reference/config-options/#query-file-limit,
   * https://docs.aws.amazon.com/timestream/latest/developerguide/query-file-limit.html) it needs.
   * @default 7 days, as on Timestream
   */
  readonly deviceLookbackMs?: number;
}

/** Code-point order, as SQLite compares text and InfluxDB sorts tag values. */
function compareText(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Newest first by (time, device, source): the order of every event list. */
interface EventKey {
  readonly t: number;
  readonly d: string;
  readonly s: string;
}

function compareNewestFirst(a: EventKey, b: EventKey): number {
  return b.t - a.t || compareText(b.d, a.d) || compareText(b.s, a.s);
}

function eventKey(row: Row): EventKey {
  return { t: rowTime(row), d: String(row.deviceId), s: String(row.source) };
}

function oneOf(column: string, literals: readonly string[]): string {
  return `(${literals.map((l) => `${influxql.ident(column)} = ${l}`).join(' OR ')})`;
}

interface AnomalyStats {
  last?: { ts: number; severity: Severity; score: number };
  recent: Record<Severity, number>;
}

/**
 * The time-series read port on InfluxDB, in InfluxQL over the v1 `/query` endpoint. Lists are
 * keyset paginated with the same cursors as the local store and Timestream; every identifier
 * and value is quoted ({@link influxql}); no query names a field that might not exist yet (the
 * telemetry's fields are read from the schema first), and a database or measurement that does
 * not exist yet answers empty — an empty store is empty results, never an error.
 */
export class InfluxQueryStore implements TimeSeriesQueries, HistoryReader {
  private readonly clock: () => number;
  private readonly policy: HealthPolicy;
  private readonly lookbackMs: number;

  constructor(private readonly opts: InfluxQueryOptions) {
    this.clock = opts.clock ?? Date.now;
    this.policy = opts.health ?? DEFAULT_HEALTH_POLICY;
    this.lookbackMs = opts.deviceLookbackMs ?? 7 * 86_400_000;
  }

  async listDevices(page: PageRequest): Promise<Page<DeviceSummary>> {
    const after = page.cursor ? decodeCursor(page.cursor, CursorKeys.device).d : undefined;
    const now = this.clock();
    const since = now - this.lookbackMs;
    const ids = (
      await this.rows(
        `SHOW TAG VALUES FROM ${TELEMETRY} WITH KEY = "deviceId" WHERE time >= ${influxql.time(since)}`,
      )
    )
      .map((r) => String(r.value))
      .filter((id) => after === undefined || compareText(id, after) > 0)
      .sort(compareText);
    // The tag index may name a device whose readings are all older than the lookback (1.x
    // filters it by shard, not by point): such a device is skipped and the next one taken.
    const latest: TelemetryRecord[] = [];
    let next = 0;
    while (latest.length < page.limit + 1 && next < ids.length) {
      const batch = ids.slice(next, next + page.limit + 1 - latest.length);
      next += batch.length;
      latest.push(...(await this.latestReadings(batch, since)));
    }
    const stats = await this.anomalyStats(
      latest.map((r) => r.deviceId),
      now,
    );
    const summaries = latest.map((r) => this.summary(r, stats.get(r.deviceId), now));
    return toPage(summaries, page.limit, (d) => ({ d: d.deviceId }));
  }

  async getDevice(deviceId: string): Promise<DeviceDetail | undefined> {
    const now = this.clock();
    const since = now - this.lookbackMs;
    const [latest] = await this.latestReadings([deviceId], since);
    if (!latest) return undefined;
    const [first, stats, prediction] = await Promise.all([
      this.rows(
        `SELECT "seq" FROM ${TELEMETRY} WHERE "deviceId" = ${influxql.deviceId(deviceId)} ` +
          `AND time >= ${influxql.time(since)} ORDER BY time ASC LIMIT 1`,
      ),
      this.anomalyStats([deviceId], now),
      this.predictions({ deviceId, from: since, to: now + 1, limit: 1 }),
    ]);
    const own = stats.get(deviceId);
    return {
      ...this.summary(latest, own, now),
      firstSeen: first[0] ? rowTime(first[0]) : latest.time,
      recentAnomalies: own?.recent ?? { info: 0, warning: 0, critical: 0 },
      ...(prediction.items[0] ? { latestPrediction: prediction.items[0] } : {}),
    };
  }

  async telemetry(q: TelemetryQuery): Promise<Page<TelemetryPoint>> {
    const after = q.cursor ? decodeCursor(q.cursor, CursorKeys.telemetry) : undefined;
    const measures = (await this.measureNames()).filter((m) => q.measure === undefined || m === q.measure);
    if (measures.length === 0) return { items: [] };
    const from = after ? Math.max(q.from, after.t) : q.from;
    if (from >= q.to) return { items: [] };
    const range =
      `"deviceId" = ${influxql.deviceId(q.deviceId)} AND time >= ${influxql.time(from)} ` +
      `AND time < ${influxql.time(q.to)}`;
    // Each row (a reading, or a bucket) yields at least one point; only the first may be cut
    // away whole by the cursor, so limit + 2 rows always give the limit + 1 points a page needs.
    const rowLimit = influxql.count(q.limit + 2);
    let rows: readonly Row[];
    let pointsOf: (row: Row) => TelemetryPoint[];
    if (q.resolution === 'raw') {
      rows = await this.rows(
        `SELECT ${measures.map(influxql.measure).join(', ')} FROM ${TELEMETRY} WHERE ${range} ORDER BY time ASC LIMIT ${rowLimit}`,
      );
      pointsOf = (row) =>
        measures.flatMap((m) => {
          const v = row[m];
          return typeof v === 'number'
            ? [{ t: rowTime(row), measure: m, avg: v, min: v, max: v, count: 1 }]
            : [];
        });
    } else {
      const aggregates = measures
        .map((m, i) => {
          const col = influxql.measure(m);
          return `mean(${col}) AS "a${i}", min(${col}) AS "n${i}", max(${col}) AS "x${i}", count(${col}) AS "c${i}"`;
        })
        .join(', ');
      rows = await this.rows(
        `SELECT ${aggregates} FROM ${TELEMETRY} WHERE ${range} GROUP BY time(${GROUP_BY[q.resolution]}) fill(none) LIMIT ${rowLimit}`,
      );
      pointsOf = (row) =>
        measures.flatMap((m, i) => {
          const count = row[`c${i}`];
          if (typeof count !== 'number' || count === 0) return [];
          return [
            {
              t: rowTime(row),
              measure: m,
              avg: row[`a${i}`] as number,
              min: row[`n${i}`] as number,
              max: row[`x${i}`] as number,
              count,
            },
          ];
        });
    }
    const points = rows
      .flatMap(pointsOf)
      .filter((p) => !after || p.t > after.t || (p.t === after.t && compareText(p.measure, after.m) > 0))
      .slice(0, q.limit + 1);
    return toPage(points, q.limit, (p) => ({ t: p.t, m: p.measure }));
  }

  async anomalies(q: AnomalyQuery): Promise<Page<AnomalyEvent>> {
    const filters = [
      ...(q.severities?.length ? [oneOf('severity', q.severities.map(influxql.severity))] : []),
      ...(q.deviceId ? [`"deviceId" = ${influxql.deviceId(q.deviceId)}`] : []),
    ];
    const rows = await this.newestFirst(
      ANOMALY,
      '"deviceId", "site", "source", "severity", "score", "measures"',
      filters,
      q,
    );
    return toPage(rows.map(rowToAnomaly), q.limit, (e) => ({ t: e.ts, d: e.deviceId, s: e.source }));
  }

  async predictions(q: PredictionQuery): Promise<Page<Prediction>> {
    const filters = q.deviceId ? [`"deviceId" = ${influxql.deviceId(q.deviceId)}`] : [];
    const rows = await this.newestFirst(
      PREDICTION,
      '"deviceId", "site", "source", "probability", "horizonMs"',
      filters,
      q,
    );
    return toPage(rows.map(rowToPrediction), q.limit, (p) => ({ t: p.ts, d: p.deviceId, s: p.source }));
  }

  /** Recent readings of one device in [since, until), oldest first, at most {@link MAX_HISTORY_ROWS}. */
  async recent(deviceId: string, sinceMs: number, untilMs: number): Promise<TelemetryRecord[]> {
    const rows = await this.rows(
      `SELECT * FROM ${TELEMETRY} WHERE "deviceId" = ${influxql.deviceId(deviceId)} ` +
        `AND time >= ${influxql.time(Math.floor(sinceMs))} AND time < ${influxql.time(Math.floor(untilMs))} ` +
        `ORDER BY time DESC LIMIT ${MAX_HISTORY_ROWS}`,
    );
    return rows.map(rowToRecord).reverse();
  }

  /** One statement's rows; a database or measurement that does not exist yet has none. */
  private async rows(statement: string): Promise<readonly Row[]> {
    const [result] = await this.opts.client.query(this.opts.database, statement).catch(emptyWhenNotFound);
    return result?.rows ?? [];
  }

  /** The telemetry's measure fields, sorted (what a reading may hold; `seq` is not a measure). */
  private async measureNames(): Promise<string[]> {
    return (await this.rows(`SHOW FIELD KEYS FROM ${TELEMETRY}`))
      .map((r) => String(r.fieldKey))
      .filter((k) => k !== 'seq')
      .sort(compareText);
  }

  /**
   * A page of events newest first by (time, device, source), strictly after the cursor's key.
   * InfluxDB orders by time only, so events sharing an instant are read whole and ordered here:
   * those at the cursor's instant, then older ones up to the page size, completed with every
   * event at the oldest instant reached.
   */
  private async newestFirst(
    measurement: string,
    columns: string,
    filters: readonly string[],
    q: { from: number; to: number; limit: number; cursor?: string },
  ): Promise<Row[]> {
    const cursor = q.cursor ? decodeCursor(q.cursor, CursorKeys.event) : undefined;
    const where = (time: string) => [...filters, time].join(' AND ');
    const at = (t: number) =>
      this.rows(`SELECT ${columns} FROM ${measurement} WHERE ${where(`time = ${influxql.time(t)}`)}`);
    const out: Row[] = [];
    if (cursor && cursor.t >= q.from && cursor.t < q.to) {
      out.push(
        ...(await at(cursor.t)).filter((r) => compareNewestFirst(cursor, eventKey(r)) < 0).sort(byNewest),
      );
    }
    const need = q.limit + 1 - out.length;
    const before = cursor ? Math.min(q.to, cursor.t) : q.to;
    if (need > 0 && before > q.from) {
      let older = await this.rows(
        `SELECT ${columns} FROM ${measurement} WHERE ${where(`time >= ${influxql.time(q.from)} AND time < ${influxql.time(before)}`)} ` +
          `ORDER BY time DESC LIMIT ${influxql.count(need)}`,
      );
      if (older.length === need) {
        const oldest = rowTime(older[older.length - 1]!);
        older = [...older.filter((r) => rowTime(r) > oldest), ...(await at(oldest))];
      }
      out.push(...[...older].sort(byNewest).slice(0, need));
    }
    return out;
  }

  /** The newest reading of each device within the lookback. */
  private async latestReadings(deviceIds: readonly string[], since: number): Promise<TelemetryRecord[]> {
    if (deviceIds.length === 0) return [];
    const rows = await this.rows(
      `SELECT * FROM ${TELEMETRY} WHERE ${oneOf('deviceId', deviceIds.map(influxql.deviceId))} ` +
        `AND time >= ${influxql.time(since)} GROUP BY "deviceId" ORDER BY time DESC LIMIT 1`,
    );
    return rows.map(rowToRecord).sort((a, b) => compareText(a.deviceId, b.deviceId));
  }

  /** Per device: its last anomaly within the lookback, and its anomalies by severity within the recent window. */
  private async anomalyStats(deviceIds: readonly string[], now: number): Promise<Map<string, AnomalyStats>> {
    const stats = new Map<string, AnomalyStats>();
    if (deviceIds.length === 0) return stats;
    const devices = oneOf('deviceId', deviceIds.map(influxql.deviceId));
    const [last, recent] = await Promise.all([
      this.rows(
        `SELECT "score", "severity" FROM ${ANOMALY} WHERE ${devices} AND time >= ${influxql.time(now - this.lookbackMs)} ` +
          'GROUP BY "deviceId" ORDER BY time DESC LIMIT 1',
      ),
      this.rows(
        `SELECT count("score") AS "n" FROM ${ANOMALY} WHERE ${devices} ` +
          `AND time >= ${influxql.time(now - this.policy.recentWindowMs)} GROUP BY "deviceId", "severity"`,
      ),
    ]);
    const of = (id: string): AnomalyStats => {
      let s = stats.get(id);
      if (!s) {
        s = { recent: { info: 0, warning: 0, critical: 0 } };
        stats.set(id, s);
      }
      return s;
    };
    for (const r of last) {
      of(String(r.deviceId)).last = {
        ts: rowTime(r),
        severity: r.severity as Severity,
        score: r.score as number,
      };
    }
    for (const r of recent) {
      const severity = r.severity as Severity;
      if (SEVERITIES.includes(severity)) of(String(r.deviceId)).recent[severity] += Number(r.n);
    }
    return stats;
  }

  private summary(record: TelemetryRecord, stats: AnomalyStats | undefined, now: number): DeviceSummary {
    const worstRecent = [...SEVERITIES].reverse().find((s) => (stats?.recent[s] ?? 0) > 0);
    return {
      deviceId: record.deviceId,
      site: record.site,
      health: deviceHealth(record.time, worstRecent, now, this.policy),
      latest: { time: record.time, seq: record.seq, measures: record.measures },
      ...(stats?.last ? { lastAnomaly: stats.last } : {}),
    };
  }
}

function byNewest(a: Row, b: Row): number {
  return compareNewestFirst(eventKey(a), eventKey(b));
}
