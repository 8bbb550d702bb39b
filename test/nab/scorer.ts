/**
 * NAB scoring, written from the benchmark's published definition (Lavin & Ahmad 2015,
 * Ahmad et al. 2017) and the description in the data folder's README.
 *
 * Per file, the first `min(floor(0.15 * rows), 750)` rows are probationary and not scored.
 * Every scored row gets a "sweep score": what it would be worth if it were the detection.
 * - Inside a window of width `w` ending at row `r`, row `i` sits at relative position
 *   `p = -(r - i + 1) / w` (-1 at the window start, near 0 at its end) and is worth
 *   `tpWeight * σ(p) / σ(-1)`, where `σ(p) = 2 / (1 + e^(5p)) - 1` is the scaled sigmoid;
 *   dividing by `σ(-1)` makes the earliest possible detection worth exactly `tpWeight`.
 * - Outside windows, a row after a window ending at `r` of width `w` sits at
 *   `p = (i - r) / (w - 1)` and is worth `fpWeight * σ(p)` (σ is -1 beyond p = 3), so a
 *   false positive right after a window costs almost nothing; a row with no window before
 *   it is worth `-fpWeight`.
 * Only the best (earliest) detection in a window counts; a window with none costs `fnWeight`.
 * One threshold per profile is chosen for the whole corpus (the one with the best total),
 * and the total is normalised between the null detector (no detection: `-fnWeight` per
 * window) and a perfect one (`tpWeight` per window).
 */
import { parseNabTimestamp } from './csv';

/** Weights of one NAB scoring profile. */
export interface CostProfile {
  /** Worth of a detection at the very start of a window. */
  readonly tpWeight: number;
  /** Cost of a window with no detection. */
  readonly fnWeight: number;
  /** Cost of a detection outside any window (less just after a window). */
  readonly fpWeight: number;
}

/** NAB's three profiles, as in its `config/profiles.json`. */
export const NAB_PROFILES: Readonly<Record<NabProfileName, CostProfile>> = {
  standard: { tpWeight: 1, fnWeight: 1, fpWeight: 0.11 },
  reward_low_FP_rate: { tpWeight: 1, fnWeight: 1, fpWeight: 0.22 },
  reward_low_FN_rate: { tpWeight: 1, fnWeight: 2, fpWeight: 0.11 },
};

/** Names of NAB's profiles. */
export type NabProfileName = 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';

/** One file of detector output together with its labelled windows. */
export interface ScoredFile {
  /** Relative path, e.g. `realKnownCause/nyc_taxi.csv` (used to name windows only). */
  readonly name: string;
  /** Row timestamps, in file order. */
  readonly timestamps: readonly string[];
  /** Detector output per row, in [0, 1]. */
  readonly scores: readonly number[];
  /** Inclusive anomaly windows as `[start, end]` timestamps. */
  readonly windows: readonly (readonly [string, string])[];
}

/** The result of scoring a corpus under one profile. */
export interface ProfileResult {
  /** The corpus-wide threshold that maximised the raw score (detections are `score >= threshold`). */
  readonly threshold: number;
  /** Best raw score (sum over files). */
  readonly raw: number;
  /** Raw score of the null detector. */
  readonly nullRaw: number;
  /** Raw score of a perfect detector. */
  readonly perfectRaw: number;
  /** `100 * (raw - nullRaw) / (perfectRaw - nullRaw)`. */
  readonly normalized: number;
  /** Counts at the chosen threshold. */
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
}

/** NAB's scaled sigmoid of a relative position. */
export function scaledSigmoid(position: number): number {
  if (position > 3) return -1;
  return 2 / (1 + Math.exp(5 * position)) - 1;
}

/** NAB's probationary row count for a file of `rows` rows. */
export function probationaryRows(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 750);
}

/** Resolves windows given as timestamps into inclusive row index ranges. */
export function windowIndices(
  timestamps: readonly string[],
  windows: readonly (readonly [string, string])[],
): [number, number][] {
  const times = timestamps.map(parseNabTimestamp);
  return windows.map(([start, end]) => {
    const s = parseNabTimestamp(start);
    const e = parseNabTimestamp(end);
    let first = -1;
    let last = -1;
    for (let i = 0; i < times.length; i++) {
      if (times[i] >= s && times[i] <= e) {
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first < 0) throw new Error(`window ${start} .. ${end} contains no row`);
    return [first, last];
  });
}

/**
 * Per-row sweep scores of a file under a profile: `windowId[i] >= 0` marks a row inside
 * window `windowId[i]` (numbered from `firstWindowId`), -1 a row outside every window;
 * probationary rows are left out (`scored[i] = false`).
 */
export function sweepScores(
  rows: number,
  windows: readonly (readonly [number, number])[],
  profile: CostProfile,
  firstWindowId = 0,
): { sweep: Float64Array; windowId: Int32Array; scored: Uint8Array } {
  const sweep = new Float64Array(rows);
  const windowId = new Int32Array(rows).fill(-1);
  const scored = new Uint8Array(rows);
  const probation = probationaryRows(rows);
  const maxTp = scaledSigmoid(-1);
  const sorted = windows.map((w, k) => ({ start: w[0], end: w[1], id: firstWindowId + k }));
  sorted.sort((a, b) => a.start - b.start);
  let next = 0;
  let previous: { end: number; width: number } | undefined;
  for (let i = 0; i < rows; i++) {
    while (next < sorted.length && sorted[next].end < i) {
      previous = { end: sorted[next].end, width: sorted[next].end - sorted[next].start + 1 };
      next++;
    }
    const current = next < sorted.length && sorted[next].start <= i ? sorted[next] : undefined;
    if (current) {
      const width = current.end - current.start + 1;
      sweep[i] = (profile.tpWeight * scaledSigmoid(-(current.end - i + 1) / width)) / maxTp;
      windowId[i] = current.id;
    } else if (previous) {
      // A one-row window would divide by zero; NAB's windows are far wider, so treat it as width 2.
      const span = Math.max(previous.width - 1, 1);
      sweep[i] = profile.fpWeight * scaledSigmoid((i - previous.end) / span);
    } else {
      sweep[i] = -profile.fpWeight;
    }
    scored[i] = i >= probation ? 1 : 0;
  }
  return { sweep, windowId, scored };
}

/** Scores a corpus under one profile, choosing the best corpus-wide threshold. */
export function scoreCorpus(files: readonly ScoredFile[], profile: CostProfile): ProfileResult {
  let total = 0;
  let windowCount = 0;
  for (const f of files) total += f.scores.length;
  const anomaly = new Float64Array(total);
  const sweep = new Float64Array(total);
  const windowOf = new Int32Array(total);
  let n = 0;
  for (const f of files) {
    if (f.scores.length !== f.timestamps.length) {
      throw new Error(`${f.name}: ${f.scores.length} scores for ${f.timestamps.length} rows`);
    }
    const windows = windowIndices(f.timestamps, f.windows);
    const parts = sweepScores(f.scores.length, windows, profile, windowCount);
    windowCount += windows.length;
    for (let i = 0; i < f.scores.length; i++) {
      if (!parts.scored[i]) continue;
      anomaly[n] = f.scores[i];
      sweep[n] = parts.sweep[i];
      windowOf[n] = parts.windowId[i];
      n++;
    }
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => anomaly[b] - anomaly[a]);

  const nullRaw = -profile.fnWeight * windowCount;
  const best = { threshold: Number.POSITIVE_INFINITY, raw: nullRaw, tp: 0, fp: 0 };
  // Lowering the threshold one distinct score at a time adds detections; track the best
  // detection per window so only the earliest one in each window counts.
  const bestInWindow = new Float64Array(windowCount).fill(Number.NaN);
  let raw = nullRaw;
  let tp = 0;
  let fp = 0;
  let k = 0;
  while (k < n) {
    const threshold = anomaly[order[k]];
    while (k < n && anomaly[order[k]] === threshold) {
      const row = order[k];
      const w = windowOf[row];
      if (w < 0) {
        raw += sweep[row];
        fp++;
      } else if (Number.isNaN(bestInWindow[w])) {
        bestInWindow[w] = sweep[row];
        raw += sweep[row] + profile.fnWeight;
        tp++;
      } else if (sweep[row] > bestInWindow[w]) {
        raw += sweep[row] - bestInWindow[w];
        bestInWindow[w] = sweep[row];
      }
      k++;
    }
    if (raw > best.raw) Object.assign(best, { threshold, raw, tp, fp });
  }
  const perfectRaw = profile.tpWeight * windowCount;
  const span = perfectRaw - nullRaw;
  return {
    threshold: best.threshold,
    raw: best.raw,
    nullRaw,
    perfectRaw,
    normalized: span > 0 ? (100 * (best.raw - nullRaw)) / span : 0,
    truePositives: best.tp,
    falsePositives: best.fp,
    falseNegatives: windowCount - best.tp,
  };
}

/** Scores a corpus under NAB's three profiles. */
export function scoreAllProfiles(
  files: readonly ScoredFile[],
  profiles: Readonly<Record<NabProfileName, CostProfile>> = NAB_PROFILES,
): Record<NabProfileName, ProfileResult> {
  return {
    standard: scoreCorpus(files, profiles.standard),
    reward_low_FP_rate: scoreCorpus(files, profiles.reward_low_FP_rate),
    reward_low_FN_rate: scoreCorpus(files, profiles.reward_low_FN_rate),
  };
}
