import type { Database, Statement } from 'better-sqlite3';
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
  RESOLUTION_MS,
  type TelemetryPoint,
} from '../../core/query/model';
import { SEVERITIES, SEVERITY_RANK_SQL, type Severity } from '../../core/severity';

interface DeviceRow {
  device_id: string;
  site: string;
  first_time: number;
  last_time: number;
  last_seq: number;
  last_measures: string;
}

interface AnomalyRow {
  device_id: string;
  ts: number;
  source: string;
  site: string;
  score: number;
  severity: Severity;
  measures: string;
}

interface PredictionRow {
  device_id: string;
  ts: number;
  source: string;
  site: string;
  probability: number;
  horizon_ms: number;
}

/** Larger than any epoch-ms time, so a missing cursor means "from the newest". */
const END_OF_TIME = Number.MAX_SAFE_INTEGER;

export interface SqliteQueryOptions {
  /** Epoch ms now; health is judged against it. @default Date.now */
  readonly clock?: () => number;
  readonly health?: HealthPolicy;
}

/**
 * The time-series half of the read port on the local SQLite store. Every list is keyset
 * paginated (the cursor carries the last item's sort key), so pages stay cheap however deep.
 */
export class SqliteQueryStore implements TimeSeriesQueries {
  private readonly clock: () => number;
  private readonly policy: HealthPolicy;
  private readonly devicesAfter: Statement<[string, number], DeviceRow>;
  private readonly deviceById: Statement<[string], DeviceRow>;
  private readonly lastAnomaly: Statement<[string], Pick<AnomalyRow, 'ts' | 'severity' | 'score'>>;
  private readonly worstSince: Statement<[string, number], { rank: number | null }>;
  private readonly countsSince: Statement<[string, number], { severity: Severity; n: number }>;
  private readonly lastPrediction: Statement<[string], PredictionRow>;
  private readonly rollup: Statement<Record<string, unknown>, TelemetryPoint>;
  private readonly anomalyPage: Statement<Record<string, unknown>, AnomalyRow>;
  private readonly predictionPage: Statement<Record<string, unknown>, PredictionRow>;

  constructor(db: Database, opts: SqliteQueryOptions = {}) {
    this.clock = opts.clock ?? Date.now;
    this.policy = opts.health ?? DEFAULT_HEALTH_POLICY;
    this.devicesAfter = db.prepare('SELECT * FROM devices WHERE device_id > ? ORDER BY device_id LIMIT ?');
    this.deviceById = db.prepare('SELECT * FROM devices WHERE device_id = ?');
    this.lastAnomaly = db.prepare(
      'SELECT ts, severity, score FROM anomalies WHERE device_id = ? ORDER BY ts DESC LIMIT 1',
    );
    this.worstSince = db.prepare(
      `SELECT max(${SEVERITY_RANK_SQL}) AS rank FROM anomalies WHERE device_id = ? AND ts >= ?`,
    );
    this.countsSince = db.prepare(
      'SELECT severity, count(*) AS n FROM anomalies WHERE device_id = ? AND ts >= ? GROUP BY severity',
    );
    this.lastPrediction = db.prepare(
      'SELECT * FROM predictions WHERE device_id = ? ORDER BY ts DESC LIMIT 1',
    );
    // Buckets start at multiples of the resolution (`%` is integer arithmetic in SQLite, `/` would
    // not be with a bound JS number); the cursor (last bucket and measure) cuts the first bucket
    // in two, so a page may end in the middle of one without losing a measure.
    this.rollup = db.prepare(`
      SELECT r.time - (r.time % @bucket) AS t, j.key AS measure, avg(j.value) AS avg, min(j.value) AS min,
             max(j.value) AS max, count(*) AS count
      FROM readings r, json_each(r.measures) j
      WHERE r.device_id = @deviceId AND r.time >= max(@from, @afterT) AND r.time < @to
        AND (@measure IS NULL OR j.key = @measure)
      GROUP BY t, measure
      HAVING t > @afterT OR (t = @afterT AND measure > @afterM)
      ORDER BY t, measure
      LIMIT @limit`);
    this.anomalyPage = db.prepare(`
      SELECT * FROM anomalies
      WHERE ts >= @from AND ts < @to AND (ts, device_id, source) < (@t, @d, @s)
        AND (@deviceId IS NULL OR device_id = @deviceId)
        AND (@severities IS NULL OR instr(@severities, ',' || severity || ',') > 0)
      ORDER BY ts DESC, device_id DESC, source DESC
      LIMIT @limit`);
    this.predictionPage = db.prepare(`
      SELECT * FROM predictions
      WHERE ts >= @from AND ts < @to AND (ts, device_id, source) < (@t, @d, @s)
        AND (@deviceId IS NULL OR device_id = @deviceId)
      ORDER BY ts DESC, device_id DESC, source DESC
      LIMIT @limit`);
  }

  async listDevices(page: PageRequest): Promise<Page<DeviceSummary>> {
    const after = page.cursor ? decodeCursor(page.cursor, CursorKeys.device).d : '';
    const rows = this.devicesAfter.all(after, page.limit + 1);
    const now = this.clock();
    return toPage(
      rows.map((r) => this.summary(r, now)),
      page.limit,
      (d) => ({ d: d.deviceId }),
    );
  }

  async getDevice(deviceId: string): Promise<DeviceDetail | undefined> {
    const row = this.deviceById.get(deviceId);
    if (!row) return undefined;
    const now = this.clock();
    const counts = { info: 0, warning: 0, critical: 0 };
    for (const c of this.countsSince.all(deviceId, now - this.policy.recentWindowMs))
      counts[c.severity] = c.n;
    const p = this.lastPrediction.get(deviceId);
    return {
      ...this.summary(row, now),
      firstSeen: row.first_time,
      recentAnomalies: counts,
      ...(p ? { latestPrediction: toPrediction(p) } : {}),
    };
  }

  async telemetry(q: TelemetryQuery): Promise<Page<TelemetryPoint>> {
    const after = q.cursor ? decodeCursor(q.cursor, CursorKeys.telemetry) : { t: -1, m: '' };
    const rows = this.rollup.all({
      bucket: RESOLUTION_MS[q.resolution],
      deviceId: q.deviceId,
      from: q.from,
      to: q.to,
      measure: q.measure ?? null,
      afterT: after.t,
      afterM: after.m,
      limit: q.limit + 1,
    });
    return toPage(rows, q.limit, (p) => ({ t: p.t, m: p.measure }));
  }

  async anomalies(q: AnomalyQuery): Promise<Page<AnomalyEvent>> {
    const after = q.cursor ? decodeCursor(q.cursor, CursorKeys.event) : { t: END_OF_TIME, d: '', s: '' };
    const rows = this.anomalyPage.all({
      from: q.from,
      to: q.to,
      t: after.t,
      d: after.d,
      s: after.s,
      deviceId: q.deviceId ?? null,
      severities: q.severities?.length ? `,${q.severities.join(',')},` : null,
      limit: q.limit + 1,
    });
    return toPage(rows.map(toAnomaly), q.limit, (e) => ({ t: e.ts, d: e.deviceId, s: e.source }));
  }

  async predictions(q: PredictionQuery): Promise<Page<Prediction>> {
    const after = q.cursor ? decodeCursor(q.cursor, CursorKeys.event) : { t: END_OF_TIME, d: '', s: '' };
    const rows = this.predictionPage.all({
      from: q.from,
      to: q.to,
      t: after.t,
      d: after.d,
      s: after.s,
      deviceId: q.deviceId ?? null,
      limit: q.limit + 1,
    });
    return toPage(rows.map(toPrediction), q.limit, (p) => ({ t: p.ts, d: p.deviceId, s: p.source }));
  }

  private summary(r: DeviceRow, now: number): DeviceSummary {
    const rank = this.worstSince.get(r.device_id, now - this.policy.recentWindowMs)?.rank;
    const worst = rank === null || rank === undefined ? undefined : SEVERITIES[rank];
    const last = this.lastAnomaly.get(r.device_id);
    return {
      deviceId: r.device_id,
      site: r.site,
      health: deviceHealth(r.last_time, worst, now, this.policy),
      latest: { time: r.last_time, seq: r.last_seq, measures: JSON.parse(r.last_measures) },
      ...(last ? { lastAnomaly: { ts: last.ts, severity: last.severity, score: last.score } } : {}),
    };
  }
}

function toAnomaly(r: AnomalyRow): AnomalyEvent {
  return {
    schema: 'aiot.event/1',
    kind: 'anomaly',
    deviceId: r.device_id,
    site: r.site,
    ts: r.ts,
    score: r.score,
    severity: r.severity,
    measures: JSON.parse(r.measures),
    source: r.source,
  };
}

function toPrediction(r: PredictionRow): Prediction {
  return {
    deviceId: r.device_id,
    site: r.site,
    ts: r.ts,
    probability: r.probability,
    horizonMs: r.horizon_ms,
    source: r.source,
  };
}
