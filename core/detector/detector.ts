/**
 * The streaming detector: one instance per device (or per series), fed one reading at a
 * time. Pure TypeScript with no platform API, so it runs unchanged at the edge, in Lambda
 * and locally.
 */
import { type DetectorConfig, resolveConfig } from './config';
import {
  breakContext,
  type MeasureState,
  newMeasure,
  updateMeasure,
  upgradeJumps,
  upgradeMeasure,
  upgradeToV2,
} from './measure';

/** A reading: one value, several values in a fixed order, or named measures. */
export type DetectorInput = number | readonly number[] | Readonly<Record<string, number>>;

/** JSON-serializable state of a detector; {@link restoreDetector} resumes from it. */
export interface DetectorState {
  /**
   * Format tag, so a state from an incompatible version is refused rather than misread.
   * Version 2 added learning in time, counters, the flatline and rhythm views; a version 1
   * state is upgraded on restore.
   */
  readonly version: 2;
  readonly config: DetectorConfig;
  readonly seed: number;
  /** Readings seen. */
  points: number;
  /** Timestamp of the last reading and the typical spacing between readings (0 if unknown). */
  lastTimeMs: number;
  typicalGapMs: number;
  /** Reading index of the last alarm, its timestamp (NaN if unknown) and its score (-1 and 0 when none). */
  lastAlarmAt: number;
  lastAlarmMs: number;
  lastAlarmScore: number;
  /** One model per measure name. */
  measures: Record<string, MeasureState>;
}

/** A running detector. */
export interface Detector {
  /**
   * Feeds one reading and returns its anomaly score in [0, 1] (0 while learning).
   * Missing or non-finite measures are skipped, never turned into NaN.
   *
   * @param value the reading; a bare number is the measure `value`, an array names its
   *   measures by position
   * @param timestampMs epoch milliseconds of the reading; a gap much longer than usual
   *   is not counted as a move
   * @throws Error when a reading brings more measures than `maxMeasures`
   */
  update(value: DetectorInput, timestampMs?: number): number;
  /** A deep copy of the state, safe to `JSON.stringify` and to keep. */
  snapshot(): DetectorState;
  /** The configuration in force. */
  readonly config: DetectorConfig;
}

/** Decimal digits of surprise that map to a score of 0.5 (a tail probability of 1e-5). */
const HALF_SCORE_DIGITS = 5;
/** A gap this many times the typical spacing means the next value is not a move from the last. */
const GAP_FACTOR = 4;

/**
 * Creates a detector.
 *
 * @param config overrides of {@link DEFAULT_DETECTOR_CONFIG}
 * @param seed recorded in the state; the detector is deterministic for a given seed and
 *   input (its models draw no random numbers today, so every seed gives the same scores)
 * @throws Error when the configuration is invalid
 */
export function createDetector(config: Partial<DetectorConfig> = {}, seed = 1): Detector {
  const resolved = resolveConfig(config);
  return wrap({
    version: 2,
    config: resolved,
    seed: seed >>> 0,
    points: 0,
    lastTimeMs: Number.NaN,
    typicalGapMs: 0,
    lastAlarmAt: -1,
    lastAlarmMs: Number.NaN,
    lastAlarmScore: 0,
    measures: {},
  });
}

/**
 * Resumes a detector from a snapshot (for example after an edge restart); the next scores
 * are exactly those the snapshotted detector would have given. A state of version 1 is
 * upgraded: what it learned is kept, its measures stay levels, and the views added since
 * start from nothing.
 *
 * @throws Error when the state is not a detector state of version 1 or 2
 */
export function restoreDetector(state: DetectorState | { readonly version: 1 }): Detector {
  const version = (state as { version?: unknown } | undefined)?.version;
  if ((version !== 1 && version !== 2) || typeof (state as DetectorState).measures !== 'object') {
    throw new Error(`not a detector state of version 1 or 2 (version ${String(version)})`);
  }
  const copy = clone(state as DetectorState);
  const config = resolveConfig(copy.config);
  if (version === 1) {
    for (const m of Object.values(copy.measures)) upgradeToV2(m, config);
    Object.assign(copy, { version: 2, lastAlarmMs: Number.NaN });
  }
  return wrap({ ...copy, config, lastTimeMs: copy.lastTimeMs ?? Number.NaN });
}

function wrap(state: DetectorState): Detector {
  return {
    config: state.config,
    update: (value, timestampMs) => step(state, value, timestampMs),
    snapshot: () => clone(state),
  };
}

function clone(state: DetectorState): DetectorState {
  // NaN and infinities do not survive JSON: they travel as null and come back here.
  const copy = JSON.parse(JSON.stringify(state)) as DetectorState;
  copy.lastTimeMs = copy.lastTimeMs ?? Number.NaN;
  copy.lastAlarmMs = copy.lastAlarmMs ?? Number.NaN;
  for (const m of Object.values(copy.measures)) {
    m.last = m.last ?? Number.NaN;
    m.lastRaw = m.lastRaw ?? Number.NaN;
    m.lastFlat = m.lastFlat ?? Number.NaN;
    m.beforeLast = m.beforeLast ?? Number.NaN;
    m.lastBin = m.lastBin ?? Number.NaN;
    m.min = m.min ?? Number.POSITIVE_INFINITY;
    m.max = m.max ?? Number.NEGATIVE_INFINITY;
    // A state saved before the run view existed resumes with an empty ring.
    if (!Array.isArray(m.recent)) upgradeMeasure(m);
    // A state saved before the jump statistics existed starts them at neutral values.
    if (typeof m.jumpMean !== 'number') upgradeJumps(m);
  }
  return copy;
}

function step(s: DetectorState, value: DetectorInput, timestampMs?: number): number {
  s.points++;
  const gap = noteTime(s, timestampMs);
  const hour = hourOfDay(timestampMs);
  const timeMs = timestampMs !== undefined && Number.isFinite(timestampMs) ? timestampMs : undefined;
  let minLogTail = 0;
  let seen = 0;
  const visit = (name: string, x: number) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) return;
    // Own-property lookup, so names such as "constructor" are measures like any other.
    let m = Object.hasOwn(s.measures, name) ? s.measures[name] : undefined;
    if (!m) {
      if (name === '__proto__') throw new Error('"__proto__" cannot name a measure');
      if (Object.keys(s.measures).length >= s.config.maxMeasures) {
        throw new Error(
          `detector follows at most ${s.config.maxMeasures} measures; "${name}" is one too many`,
        );
      }
      m = newMeasure(s.config);
      s.measures[name] = m;
    }
    if (gap) breakContext(m);
    const logTail = updateMeasure(m, x, s.config, hour, timeMs, s.typicalGapMs);
    seen++;
    if (logTail < minLogTail) minLogTail = logTail;
  };
  if (typeof value === 'number') {
    visit('value', value);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) visit(String(i), value[i]);
  } else {
    for (const [name, x] of Object.entries(value as Record<string, number>)) visit(name, x);
  }

  // Bonferroni: with several measures, the smallest tail probability is less surprising.
  const logTail = Math.min(0, minLogTail + Math.log(Math.max(1, seen)));
  return suppress(s, scoreOf(logTail), timeMs);
}

/**
 * Maps a tail probability (as its natural log) to a score in [0, 1): with d = -log10(p),
 * score = d / (d + 5), so p = 1e-5 gives 0.5 and p = 1e-20 gives 0.8. It never saturates,
 * so extreme anomalies still rank among themselves.
 */
export function scoreOf(logTail: number): number {
  const digits = Math.max(0, -logTail / Math.LN10);
  return Number.isFinite(digits) ? digits / (digits + HALF_SCORE_DIGITS) : 1;
}

/** Hour of the day (UTC, 0-23) of a reading, or undefined when its time is unknown. */
function hourOfDay(timestampMs?: number): number | undefined {
  if (timestampMs === undefined || !Number.isFinite(timestampMs)) return undefined;
  const hour = Math.floor(timestampMs / 3_600_000) % 24;
  return hour < 0 ? hour + 24 : hour;
}

function noteTime(s: DetectorState, timestampMs?: number): boolean {
  if (timestampMs === undefined || !Number.isFinite(timestampMs)) return false;
  const previous = s.lastTimeMs;
  s.lastTimeMs = timestampMs;
  if (Number.isNaN(previous)) return false;
  const gap = timestampMs - previous;
  if (gap <= 0) return false;
  const broken = s.typicalGapMs > 0 && gap > GAP_FACTOR * s.typicalGapMs;
  // The typical spacing follows the usual gaps only, so outages do not stretch it.
  if (!broken) s.typicalGapMs = s.typicalGapMs === 0 ? gap : s.typicalGapMs + 0.05 * (gap - s.typicalGapMs);
  return broken;
}

/**
 * After an alarm, for `suppressPoints` readings and `suppressMs` of time (whichever ends
 * later), only a stronger score is reported.
 */
function suppress(s: DetectorState, score: number, timeMs?: number): number {
  const { suppressPoints, suppressMs, alarmScore } = s.config;
  const byPoints = s.lastAlarmAt >= 0 && s.points - s.lastAlarmAt <= suppressPoints;
  const byTime = timeMs !== undefined && !Number.isNaN(s.lastAlarmMs) && timeMs - s.lastAlarmMs <= suppressMs;
  if ((byPoints || byTime) && score <= s.lastAlarmScore) return 0;
  if (score >= alarmScore) {
    s.lastAlarmAt = s.points;
    s.lastAlarmMs = timeMs ?? Number.NaN;
    s.lastAlarmScore = score;
  }
  return score;
}
