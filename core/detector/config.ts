/**
 * Detector configuration: one set of parameters for every series (no per-series tuning).
 * Learning and alarm suppression last a number of readings *and* a span of time, whichever
 * is longer: the counts give the statistics enough readings at a slow rate, the times make
 * a fast series learn and stay quiet as long as a slow one. Readings without timestamps
 * count readings only.
 */
export interface DetectorConfig {
  /**
   * Points used only to learn (the score stays 0): the value range that fixes the bin grid
   * is taken from the first half, move counts and surprise statistics from the rest.
   * @default 300
   */
  readonly learningPoints: number;
  /**
   * Time, in milliseconds of reading timestamps, that learning lasts at least (besides
   * `learningPoints`): at a fast rate 300 readings would be over in a moment.
   * @default 30000
   */
  readonly learningMs: number;
  /**
   * Number of bins spanning the value range seen while learning; values beyond that
   * range fall into further bins of the same width.
   * @default 8
   */
  readonly bins: number;
  /**
   * Slots of the hashed table counting moves between bins, per measure (a power of two).
   * It bounds the state: a crowded table only makes some new moves look familiar.
   * @default 2048
   */
  readonly moveSlots: number;
  /**
   * Half-life, in points, of the typical forecast error that surprises are measured in.
   * @default 1000
   */
  readonly residualHalfLife: number;
  /**
   * Half-life, in points, of the surprise statistics behind the anomaly likelihood.
   * @default 4000
   */
  readonly historyHalfLife: number;
  /**
   * Points after an alarm during which a further alarm is reported only if it is stronger:
   * an anomaly is one event, not a run of alarms.
   * @default 200
   */
  readonly suppressPoints: number;
  /**
   * Time, in milliseconds, that suppression lasts at least after an alarm (besides
   * `suppressPoints`), so that a fast series' alarms are held back as long as a slow one's.
   * @default 60000
   */
  readonly suppressMs: number;
  /**
   * Score at or above which a point counts as an alarm for suppression.
   * @default 0.5
   */
  readonly alarmScore: number;
  /**
   * Severity thresholds on the score: `info` below `warning`, `critical` at or above `critical`.
   * @default { warning: 0.85, critical: 0.95 }
   */
  readonly severity: { readonly warning: number; readonly critical: number };
  /**
   * Most measures one detector follows; a further measure name is rejected.
   * @default 32
   */
  readonly maxMeasures: number;
}

/** The configuration used everywhere unless a deployment pushes another one. */
export const DEFAULT_DETECTOR_CONFIG: DetectorConfig = Object.freeze({
  learningPoints: 300,
  // 30 s: at 10 Hz as long as the 300 readings, at 100 Hz ten times longer than they. How far a
  // slow process wanders is learned over 5 minutes whatever this says (see measure.ts).
  learningMs: 30_000,
  bins: 8,
  moveSlots: 2048,
  residualHalfLife: 1000,
  historyHalfLife: 4000,
  suppressPoints: 200,
  suppressMs: 60_000,
  alarmScore: 0.5,
  // Calibrated on simulated rotating machines (healthy for days vs each injected fault): at 0.85
  // a healthy machine warns about once in four days and goes critical about once in two weeks,
  // while spikes, overheating and bearing wear are flagged (docs/detector.md).
  severity: Object.freeze({ warning: 0.85, critical: 0.95 }),
  maxMeasures: 32,
});

/**
 * Merges a partial configuration over the defaults and checks it.
 *
 * @throws Error naming the first invalid field
 */
export function resolveConfig(config: Partial<DetectorConfig> = {}): DetectorConfig {
  const merged: DetectorConfig = {
    ...DEFAULT_DETECTOR_CONFIG,
    ...config,
    severity: { ...DEFAULT_DETECTOR_CONFIG.severity, ...config.severity },
  };
  const positiveIntegers: (keyof DetectorConfig)[] = ['learningPoints', 'bins', 'moveSlots', 'maxMeasures'];
  for (const key of positiveIntegers) {
    const v = merged[key] as number;
    if (!Number.isInteger(v) || v < 1) throw new Error(`detector config: ${key} must be a positive integer`);
  }
  if (merged.learningPoints < 4) throw new Error('detector config: learningPoints must be at least 4');
  if ((merged.moveSlots & (merged.moveSlots - 1)) !== 0) {
    throw new Error('detector config: moveSlots must be a power of two');
  }
  for (const key of ['residualHalfLife', 'historyHalfLife'] as const) {
    if (!(merged[key] > 0)) throw new Error(`detector config: ${key} must be positive`);
  }
  if (!Number.isInteger(merged.suppressPoints) || merged.suppressPoints < 0) {
    throw new Error('detector config: suppressPoints must be a non-negative integer');
  }
  for (const key of ['learningMs', 'suppressMs'] as const) {
    if (!(Number.isFinite(merged[key]) && merged[key] >= 0)) {
      throw new Error(`detector config: ${key} must be a non-negative number of milliseconds`);
    }
  }
  const { warning, critical } = merged.severity;
  if (!(warning >= 0 && warning <= critical && critical <= 1)) {
    throw new Error('detector config: severity needs 0 <= warning <= critical <= 1');
  }
  if (!(merged.alarmScore > 0 && merged.alarmScore <= 1)) {
    throw new Error('detector config: alarmScore must be in (0, 1]');
  }
  return merged;
}
