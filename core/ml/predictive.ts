import { z } from 'zod';
import type { TelemetryRecord } from '../ports';
import { DeviceIdSchema, SiteSchema } from '../telemetry';
import type { WorkOrder } from '../workorders';
import { TRAINING_MEASURES } from './features';

/**
 * Predictive maintenance: will this device fail within the horizon? A second model (SageMaker's
 * built-in XGBoost) learns it from windowed features; the failures it learns from are the starts of
 * confirmed work orders and, where a fleet simulator ran, its ground truth of injected faults.
 */

/** Width of one feature window. */
export const FEATURE_WINDOW_MS = 60 * 60_000;
/** How far ahead a failure counts for a window. */
export const PREDICTION_HORIZON_MS = 6 * 60 * 60_000;
/** Statistics per measure, in column order. */
export const WINDOW_STATS = ['mean', 'std', 'min', 'max'] as const;

/** One device's statistics over one window (Timestream aggregates them in AWS, core does locally). */
export interface WindowFeatures {
  readonly deviceId: string;
  readonly site: string;
  /** Window start (epoch ms); it covers [start, start + FEATURE_WINDOW_MS). */
  readonly start: number;
  /** `WINDOW_STATS` for each of `TRAINING_MEASURES`, flattened. */
  readonly features: readonly number[];
}

export interface FailureMark {
  readonly deviceId: string;
  /** When the failure began (epoch ms). */
  readonly at: number;
}

/** Aggregates readings into per-device windows; a window lacking a training measure is dropped. */
export function windowFeatures(
  records: readonly TelemetryRecord[],
  windowMs: number = FEATURE_WINDOW_MS,
): WindowFeatures[] {
  const groups = new Map<string, { deviceId: string; site: string; start: number; values: number[][] }>();
  for (const r of records) {
    const start = Math.floor(r.time / windowMs) * windowMs;
    const key = `${r.deviceId}\u0000${start}`;
    let g = groups.get(key);
    if (!g) {
      g = { deviceId: r.deviceId, site: r.site, start, values: TRAINING_MEASURES.map(() => []) };
      groups.set(key, g);
    }
    TRAINING_MEASURES.forEach((m, i) => {
      const v = r.measures[m];
      if (v !== undefined && Number.isFinite(v)) g.values[i]!.push(v);
    });
  }
  const out: WindowFeatures[] = [];
  for (const g of groups.values()) {
    if (g.values.some((v) => v.length === 0)) continue;
    const features = g.values.flatMap((v) => {
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const std = Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / v.length);
      return [mean, std, Math.min(...v), Math.max(...v)];
    });
    out.push({ deviceId: g.deviceId, site: g.site, start: g.start, features });
  }
  return out.sort((a, b) => a.deviceId.localeCompare(b.deviceId) || a.start - b.start);
}

/** The failures to learn from: confirmed orders and the simulator's injected faults. */
export function failureMarks(
  orders: readonly WorkOrder[],
  groundTruth: readonly { deviceId: string; startMs?: number }[] = [],
): FailureMark[] {
  return [
    ...orders.filter((o) => o.label === 'anomaly').map((o) => ({ deviceId: o.deviceId, at: o.window.start })),
    ...groundTruth
      .filter((f): f is { deviceId: string; startMs: number } => typeof f.startMs === 'number')
      .map((f) => ({ deviceId: f.deviceId, at: f.startMs })),
  ];
}

/**
 * Labelled rows: 1 when a failure of the device begins within the horizon after the window ends,
 * else 0. A window during which a failure begins is left out: the model is to see failures coming,
 * not to recognise them once they are there.
 */
export function predictiveDataset(
  windows: readonly WindowFeatures[],
  failures: readonly FailureMark[],
  options: { windowMs?: number; horizonMs?: number } = {},
): { label: 0 | 1; window: WindowFeatures }[] {
  const windowMs = options.windowMs ?? FEATURE_WINDOW_MS;
  const horizonMs = options.horizonMs ?? PREDICTION_HORIZON_MS;
  const out: { label: 0 | 1; window: WindowFeatures }[] = [];
  for (const w of windows) {
    const end = w.start + windowMs;
    const mine = failures.filter((f) => f.deviceId === w.deviceId);
    if (mine.some((f) => f.at >= w.start && f.at < end)) continue;
    out.push({ label: mine.some((f) => f.at >= end && f.at < end + horizonMs) ? 1 : 0, window: w });
  }
  return out;
}

/** XGBoost's CSV: label first, no header. */
export const toXgboostCsv = (rows: readonly { label: number; window: WindowFeatures }[]): string =>
  rows.map((r) => [r.label, ...r.window.features].join(',')).join('\n') + (rows.length ? '\n' : '');

/** Prediction rows: features only. */
export const toFeatureCsv = (windows: readonly WindowFeatures[]): string =>
  windows.map((w) => w.features.join(',')).join('\n') + (windows.length ? '\n' : '');

export const PREDICTION_SCHEMA_VERSION = 'aiot.prediction/1';

/** A failure prediction, kept in the events table beside the anomaly scores (kind `prediction`). */
export const PredictionEventSchema = z.strictObject({
  schema: z.literal(PREDICTION_SCHEMA_VERSION),
  kind: z.literal('prediction'),
  deviceId: DeviceIdSchema,
  site: SiteSchema,
  /** End of the feature window the prediction is made from (epoch ms). */
  ts: z.number().int().positive(),
  /** Probability that a failure begins within `horizonMs` after `ts`. */
  probability: z.number().min(0).max(1),
  horizonMs: z.number().int().positive(),
  /** The model that predicted it. */
  model: z.string().min(1).max(128),
});
export type PredictionEvent = z.infer<typeof PredictionEventSchema>;
