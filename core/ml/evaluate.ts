import { z } from 'zod';
import { createDetector, DEFAULT_DETECTOR_CONFIG, type DetectorConfig } from '../detector';
import type { TelemetryRecord } from '../ports';
import type { WorkOrder } from '../workorders';
import { featureRows, TRAINING_MEASURES } from './features';

/**
 * Judging a candidate model against the current one on what operators told us: confirmed work
 * orders are anomalies, orders closed as false alarms and quiet stretches without any order are
 * normal. A model scores each reading; a window's score is its highest reading score; the models
 * are compared by ROC AUC over the windows, so no threshold has to be chosen first.
 */

export const EvalWindowSchema = z.strictObject({
  deviceId: z.string(),
  start: z.number(),
  end: z.number(),
  label: z.enum(['anomaly', 'normal']),
  source: z.enum(['confirmed', 'false-alarm', 'quiet']),
});
export type EvalWindow = z.infer<typeof EvalWindowSchema>;

/** Written beside the evaluation CSV: what each CSV line is, and the labelled windows. */
export const EvalManifestSchema = z.strictObject({
  measures: z.array(z.string()),
  rows: z.array(z.tuple([z.string(), z.number()])),
  windows: z.array(EvalWindowSchema),
});
export type EvalManifest = z.infer<typeof EvalManifestSchema>;

export interface EvalSet {
  readonly manifest: EvalManifest;
  /** Feature rows, aligned with `manifest.rows` (the CSV the models score). */
  readonly values: readonly (readonly number[])[];
}

/** Quiet windows sampled per device: as many as labelled windows, at least this many. */
const MIN_QUIET_WINDOWS = 4;

/**
 * Builds the evaluation set from the readings of the evaluation period and the labelled orders
 * that fall in it. Quiet windows (no order near them) of the same width are added as normal.
 */
export function buildEvalSet(
  records: readonly TelemetryRecord[],
  orders: readonly WorkOrder[],
  measures: readonly string[] = TRAINING_MEASURES,
): EvalSet {
  const rows = featureRows(records, measures);
  if (rows.length === 0) return { manifest: { measures: [...measures], rows: [], windows: [] }, values: [] };
  const labelled: EvalWindow[] = orders
    .filter((o) => o.label !== undefined)
    .map((o) => ({
      deviceId: o.deviceId,
      start: o.window.start,
      end: o.window.end,
      label: o.label === 'anomaly' ? 'anomaly' : 'normal',
      source: o.label === 'anomaly' ? 'confirmed' : 'false-alarm',
    }));
  const width = labelled.length ? Math.max(...labelled.map((w) => w.end - w.start)) : 15 * 60_000;
  const quiet: EvalWindow[] = [];
  const byDevice = new Map<string, number[]>();
  for (const r of rows) byDevice.set(r.deviceId, [...(byDevice.get(r.deviceId) ?? []), r.time]);
  const wanted = Math.max(MIN_QUIET_WINDOWS, labelled.length);
  const nearOrder = (deviceId: string, s: number, e: number) =>
    orders.some((o) => o.deviceId === deviceId && o.window.start < e + width && o.window.end > s - width);
  for (const [deviceId, times] of byDevice) {
    const first = times[0]!;
    const last = times[times.length - 1]!;
    const slots = Math.floor((last - first) / width);
    // Evenly spread candidates, skipping the first slot (a streaming model is still learning).
    for (
      let k = 1;
      k < slots && quiet.length < wanted * byDevice.size;
      k += Math.max(1, Math.floor(slots / wanted))
    ) {
      const s = first + k * width;
      if (!nearOrder(deviceId, s, s + width))
        quiet.push({ deviceId, start: s, end: s + width, label: 'normal', source: 'quiet' });
    }
  }
  return {
    manifest: {
      measures: [...measures],
      rows: rows.map((r) => [r.deviceId, r.time]),
      windows: [...labelled, ...quiet],
    },
    values: rows.map((r) => r.values),
  };
}

/** A window's score: the highest score of its device's readings inside it (-∞ when it has none). */
export function windowScores(manifest: EvalManifest, scores: readonly number[]): number[] {
  if (scores.length !== manifest.rows.length) {
    throw new Error(`got ${scores.length} scores for ${manifest.rows.length} evaluation rows`);
  }
  return manifest.windows.map((w) => {
    let best = Number.NEGATIVE_INFINITY;
    manifest.rows.forEach(([deviceId, time], i) => {
      if (deviceId === w.deviceId && time >= w.start && time < w.end) best = Math.max(best, scores[i]!);
    });
    return best;
  });
}

export interface ModelMetrics {
  /** ROC AUC over labelled windows (ties count half). */
  readonly auc: number;
  /** Best F1 over thresholds, and the threshold reaching it. */
  readonly f1: number;
  readonly threshold: number;
  readonly positives: number;
  readonly negatives: number;
}

export function metrics(manifest: EvalManifest, scores: readonly number[]): ModelMetrics {
  const ws = windowScores(manifest, scores);
  const pos: number[] = [];
  const neg: number[] = [];
  manifest.windows.forEach((w, i) => {
    const s = ws[i]!;
    if (!Number.isFinite(s)) return;
    (w.label === 'anomaly' ? pos : neg).push(s);
  });
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  const auc = pos.length && neg.length ? wins / (pos.length * neg.length) : 0;
  let f1 = 0;
  let threshold = 1;
  for (const t of [...new Set([...pos, ...neg])].sort((a, b) => b - a)) {
    const tp = pos.filter((s) => s >= t).length;
    const fp = neg.filter((s) => s >= t).length;
    const f = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + (pos.length - tp));
    if (f > f1) {
      f1 = f;
      threshold = t;
    }
  }
  return { auc, f1, threshold, positives: pos.length, negatives: neg.length };
}

export interface Decision {
  readonly deploy: boolean;
  readonly reason: string;
}

/** How much better (ROC AUC) a candidate must be to replace the current model. */
export const MIN_IMPROVEMENT = 0.01;

/**
 * Deploys only a candidate that is measurably better: better than the current model by
 * {@link MIN_IMPROVEMENT}, or, when there is none yet, better than chance by as much. Without at
 * least one labelled anomaly and one normal window nothing can be shown, and the current stays.
 */
export function decide(candidate: ModelMetrics, current: ModelMetrics | undefined): Decision {
  if (candidate.positives === 0 || candidate.negatives === 0) {
    return current
      ? { deploy: false, reason: 'not enough labelled windows to compare; the current model stays' }
      : { deploy: false, reason: 'not enough labelled windows to judge a first model' };
  }
  const bar = current ? current.auc : 0.5;
  const what = current ? `the current model (AUC ${current.auc.toFixed(3)})` : 'chance (AUC 0.500)';
  if (candidate.auc >= bar + MIN_IMPROVEMENT) {
    return { deploy: true, reason: `candidate AUC ${candidate.auc.toFixed(3)} beats ${what}` };
  }
  return {
    deploy: false,
    reason: `candidate AUC ${candidate.auc.toFixed(3)} does not beat ${what}; not deployed`,
  };
}

/** Scores every evaluation row with the streaming detector, device by device, in time order. */
export function detectorScores(
  set: EvalSet,
  config: Partial<DetectorConfig> = {},
  warm?: (deviceId: string) => ReturnType<typeof createDetector> | undefined,
): number[] {
  const detectors = new Map<string, ReturnType<typeof createDetector>>();
  const { measures, rows } = set.manifest;
  return rows.map(([deviceId, time], i) => {
    let d = detectors.get(deviceId);
    if (!d) {
      d = warm?.(deviceId) ?? createDetector(config);
      detectors.set(deviceId, d);
    }
    const reading: Record<string, number> = {};
    measures.forEach((m, k) => {
      reading[m] = set.values[i]![k]!;
    });
    return d.update(reading, time);
  });
}

/**
 * Severity thresholds for the edge detector, calibrated on the labelled windows: `warning` at its
 * best-F1 threshold, `critical` just above the highest normal window (no labelled false alarm would
 * be critical), both kept inside the detector's [0, 1] score range.
 */
export function calibrateThresholds(
  set: EvalSet,
  config: Partial<DetectorConfig> = {},
): { warning: number; critical: number } | undefined {
  const scores = detectorScores(set, config);
  const m = metrics(set.manifest, scores);
  if (m.positives === 0 || m.negatives === 0 || m.f1 === 0) return undefined;
  const ws = windowScores(set.manifest, scores);
  const normalMax = Math.max(
    ...set.manifest.windows.map((w, i) => (w.label === 'normal' && Number.isFinite(ws[i]!) ? ws[i]! : 0)),
  );
  const clamp = (v: number) => Math.min(0.99, Math.max(0.05, v));
  const warning = clamp(m.threshold);
  return { warning, critical: clamp(Math.max(warning, normalMax + 0.01)) };
}

export const DEFAULT_THRESHOLDS = DEFAULT_DETECTOR_CONFIG.severity;

/** Parses the CSV the models score (no header, numbers only). */
export function parseCsv(text: string): number[][] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(',').map(Number));
}
