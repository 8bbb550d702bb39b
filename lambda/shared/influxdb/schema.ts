import type { AnomalyEvent } from '../../../core/events';
import type { PredictionEvent } from '../../../core/ml/predictive';
import type { TelemetryRecord } from '../../../core/ports';
import type { Prediction } from '../../../core/query/model';
import type { Severity } from '../../../core/severity';
import type { Row } from './client';
import type { Point } from './line-protocol';

/**
 * How aiot's data is laid out in InfluxDB: one measurement per kind, the identifying and filtered
 * attributes as tags (indexed, always strings), the values as fields, time in milliseconds.
 *
 *   telemetry,deviceId=…,site=…              <measure>=<float>,…,seq=<int>i        <ms>
 *   anomaly,deviceId=…,severity=…,site=…,source=…   score=<float>,measures="<json>"   <ms>
 *   prediction,deviceId=…,site=…,source=…   probability=<float>,horizonMs=<int>i  <ms>
 *
 * One telemetry point holds every measure of a reading (the shape of a Timestream multi-measure
 * record): a reading is one row, written and read whole.
 */
export const MEASUREMENTS = {
  telemetry: 'telemetry',
  anomaly: 'anomaly',
  prediction: 'prediction',
} as const;

/**
 * Column names a measure may not take: `seq` is a field of every reading, `site` a tag (a tag and
 * a field may not share a name on InfluxDB 3), and `time` is InfluxDB's own column (a field of
 * that name is refused). The measure-name pattern rules out `deviceId`.
 */
export const RESERVED_MEASURE_NAMES: ReadonlySet<string> = new Set(['seq', 'site', 'time']);

/** Columns of a telemetry row that are not measures. */
const TELEMETRY_COLUMNS = new Set(['time', 'deviceId', 'site', 'seq']);

export function telemetryPoint(r: TelemetryRecord): Point {
  return {
    measurement: MEASUREMENTS.telemetry,
    tags: { deviceId: r.deviceId, site: r.site },
    fields: { ...r.measures, seq: { int: r.seq } },
    timeMs: r.time,
  };
}

export function anomalyPoint(e: AnomalyEvent): Point {
  return {
    measurement: MEASUREMENTS.anomaly,
    tags: { deviceId: e.deviceId, site: e.site, source: e.source, severity: e.severity },
    fields: { score: e.score, measures: JSON.stringify(e.measures) },
    timeMs: e.ts,
  };
}

/** What a prediction is stored under: the model's name, cut to the read model's 64 characters. */
export function predictionSource(p: PredictionEvent): string {
  return p.model.slice(0, 64);
}

export function predictionPoint(p: PredictionEvent): Point {
  return {
    measurement: MEASUREMENTS.prediction,
    tags: { deviceId: p.deviceId, site: p.site, source: predictionSource(p) },
    fields: { probability: p.probability, horizonMs: { int: p.horizonMs } },
    timeMs: p.ts,
  };
}

/** Numbers arrive as JSON numbers; anything else is a schema problem, never coerced quietly. */
function num(row: Row, column: string): number {
  const v = row[column];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Error(`InfluxDB returned ${JSON.stringify(v)} for "${column}", not a number`);
  return v;
}

function str(row: Row, column: string): string {
  const v = row[column];
  if (typeof v !== 'string')
    throw new Error(`InfluxDB returned ${JSON.stringify(v)} for "${column}", not text`);
  return v;
}

export function rowTime(row: Row): number {
  return num(row, 'time');
}

/**
 * A telemetry row (`SELECT *`): the measures are its numeric fields other than `seq`. A point
 * written by another tool may lack `seq`: it reads as 0, as on Timestream.
 */
export function rowToRecord(row: Row): TelemetryRecord {
  const measures: Record<string, number> = {};
  for (const [column, v] of Object.entries(row)) {
    if (TELEMETRY_COLUMNS.has(column) || v === null || v === undefined) continue;
    if (typeof v === 'number') measures[column] = v;
  }
  return {
    deviceId: str(row, 'deviceId'),
    site: str(row, 'site'),
    time: rowTime(row),
    seq: row.seq === null || row.seq === undefined ? 0 : num(row, 'seq'),
    measures,
  };
}

export function rowToAnomaly(row: Row): AnomalyEvent {
  return {
    schema: 'aiot.event/1',
    kind: 'anomaly',
    deviceId: str(row, 'deviceId'),
    site: str(row, 'site'),
    ts: rowTime(row),
    score: num(row, 'score'),
    severity: str(row, 'severity') as Severity,
    measures: parseMeasures(row.measures),
    source: str(row, 'source'),
  };
}

export function rowToPrediction(row: Row): Prediction {
  return {
    deviceId: str(row, 'deviceId'),
    site: str(row, 'site'),
    ts: rowTime(row),
    probability: num(row, 'probability'),
    horizonMs: num(row, 'horizonMs'),
    source: str(row, 'source'),
  };
}

function parseMeasures(text: unknown): Record<string, number> {
  if (typeof text !== 'string') return {};
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v))
      return Object.fromEntries(Object.entries(v).filter(([, n]) => typeof n === 'number'));
  } catch {
    // Written by another tool: the event is still returned, without measures it cannot read.
  }
  return {};
}
