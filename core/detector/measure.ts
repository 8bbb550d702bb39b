/**
 * The model of one measure (one numeric stream): two cheap online views of "surprise",
 * turned into a tail probability by an anomaly likelihood.
 *
 * - Forecast surprise: distance of the value from an exponentially weighted level, in units
 *   of the typical distance (mean absolute error), read through a Laplace tail so it lies
 *   in [0, 1). It catches spikes, dips and level shifts.
 * - Context novelty (after CAD OSE): the value is binned on a grid fixed while learning,
 *   and the sequences of the last 1..K bins are looked up in a hashed count table; the
 *   share of sequences never seen before is the novelty. It catches shapes the series has
 *   never drawn, such as a daily cycle going flat, which a forecast error misses.
 * - Anomaly likelihood (after HTM): the short-term mean of the raw score is compared with
 *   the long-term distribution of that mean, so a series that is always noisy needs a
 *   larger surprise than a quiet one before its tail probability gets small.
 */
import type { DetectorConfig } from './config';

/** JSON-serializable state of one measure. */
export interface MeasureState {
  /** Finite values seen. */
  n: number;
  /** Range seen during the first half of learning; fixes the bin grid. */
  min: number;
  max: number;
  /** Bin grid: bin of x is floor((x - origin) / width); 0 until fixed. */
  origin: number;
  width: number;
  /** One-step forecast (exponentially weighted level); NaN before the first value. */
  level: number;
  /** Typical absolute forecast error. */
  absError: number;
  /** Last bins, newest last, at most `contextOrder`. */
  recent: number[];
  /** How often the latest move (last two bins) had been seen before it. */
  lastMoveSeen: number;
  /** Hashed counts of bin sequences, saturating. */
  counts: number[];
  /** Likelihood of the forecast surprise and of the context novelty. */
  forecast: LikelihoodState;
  novelty: LikelihoodState;
}

/** Anomaly likelihood of one raw score stream. */
export interface LikelihoodState {
  /** Last `shortWindow` raw scores (ring) and their running sum. */
  window: number[];
  pos: number;
  sum: number;
  /** Long-term mean and variance of the short-term mean raw score. */
  mean: number;
  variance: number;
  /** Short-term means folded into those statistics. */
  count: number;
}

function newLikelihood(): LikelihoodState {
  return { window: [], pos: 0, sum: 0, mean: 0, variance: 0, count: 0 };
}

const MAX_COUNT = 65535;
/** Keeps the bin index an exact small integer whatever the value. */
const MAX_BIN = 1 << 20;
/**
 * Floor of the raw-score spread: raw scores live in [0, 1], and a series that is almost
 * perfectly predictable must not turn a rounding-level surprise into an alarm.
 */
const MIN_STD = 0.02;
/** Caps the forecast surprise (in nats) so one absurd value cannot blind the statistics. */
const MAX_SURPRISE = 50;

/** A fresh measure state. */
export function newMeasure(config: DetectorConfig): MeasureState {
  return {
    n: 0,
    min: Number.POSITIVE_INFINITY,
    max: Number.NEGATIVE_INFINITY,
    origin: 0,
    width: 0,
    level: Number.NaN,
    absError: 0,
    recent: [],
    lastMoveSeen: 0,
    counts: new Array<number>(config.contextSlots).fill(0),
    forecast: newLikelihood(),
    novelty: newLikelihood(),
  };
}

/** Forgets the bin sequence, e.g. across a gap in time, so it does not read as a new shape. */
export function breakContext(m: MeasureState): void {
  m.recent.length = 0;
}

/**
 * Feeds one finite value and returns the natural log of its tail probability: near 0 for
 * the expected, very negative for the surprising. While learning it returns 0.
 */
export function updateMeasure(m: MeasureState, x: number, config: DetectorConfig): number {
  const half = config.learningPoints >> 1;
  m.n++;
  if (m.n <= half) {
    if (x < m.min) m.min = x;
    if (x > m.max) m.max = x;
    if (m.n === half) fixGrid(m, config);
  }

  const surprise = forecastSurprise(m, x, config);
  const noveltyRaw = m.n > half ? contextNovelty(m, x, config) : 0;
  // A move the series has made before (same last two bins) is less surprising, however large.
  const forecastRaw = m.n > half ? surprise / (1 + m.lastMoveSeen) : surprise;
  const learning = m.n <= config.learningPoints;
  const fold = m.n > half;
  const a = likelihood(m.forecast, forecastRaw, 1, config, learning, fold);
  const b = likelihood(m.novelty, noveltyRaw, config.shortWindow, config, learning, fold);
  // Bonferroni over the two views, in log space: ln(min(1, 2 * min(pa, pb))).
  return Math.min(0, Math.LN2 + Math.min(a, b));
}

function likelihood(
  l: LikelihoodState,
  raw: number,
  size: number,
  config: DetectorConfig,
  learning: boolean,
  fold: boolean,
): number {
  if (l.window.length < size) {
    l.window.push(raw);
  } else {
    l.sum -= l.window[l.pos];
    l.window[l.pos] = raw;
    l.pos = (l.pos + 1) % size;
  }
  l.sum += raw;
  const avg = l.sum / l.window.length;
  let logTail = 0;
  if (!learning) {
    const std = Math.max(Math.sqrt(l.variance), MIN_STD);
    logTail = normalLogUpperTail((avg - l.mean) / std);
  }
  if (fold) {
    l.count++;
    const alpha = Math.max(1 / l.count, 1 - 2 ** (-1 / config.historyHalfLife));
    const delta = avg - l.mean;
    l.mean += alpha * delta;
    l.variance = (1 - alpha) * (l.variance + alpha * delta * delta);
  }
  return logTail;
}

function fixGrid(m: MeasureState, config: DetectorConfig): void {
  const span = m.max - m.min;
  // A flat learning period still needs a grid: use a tiny share of the magnitude.
  const floor = 1e-6 * Math.max(1, Math.abs(m.max), Math.abs(m.min));
  m.width = Math.max(span / config.bins, floor);
  m.origin = m.min;
}

function forecastSurprise(m: MeasureState, x: number, config: DetectorConfig): number {
  if (Number.isNaN(m.level)) {
    m.level = x;
    return 0;
  }
  const error = Math.abs(x - m.level);
  const scale = m.absError + 1e-12 * (1 + Math.abs(m.level));
  const surprise = m.n > 2 ? Math.min(error / scale, MAX_SURPRISE) : 0;
  const alpha = Math.max(1 / m.n, 1 - 2 ** (-1 / config.residualHalfLife));
  m.absError += alpha * (error - m.absError);
  m.level += config.levelAlpha * (x - m.level);
  return surprise;
}

function contextNovelty(m: MeasureState, x: number, config: DetectorConfig): number {
  const bin = Math.max(-MAX_BIN, Math.min(MAX_BIN, Math.floor((x - m.origin) / m.width)));
  m.recent.push(bin);
  if (m.recent.length > config.contextOrder) m.recent.shift();
  const mask = config.contextSlots - 1;
  let unseen = 0;
  let hash = 0x811c9dc5;
  // Sequences ending at the newest bin, shortest first: bins[-1], bins[-2..-1], ...
  for (let k = 1; k <= m.recent.length; k++) {
    hash = Math.imul(hash ^ (m.recent[m.recent.length - k] + k * 0x9e3779b1), 0x01000193) >>> 0;
    const slot = (hash ^ (hash >>> 15)) & mask;
    if (m.counts[slot] === 0) unseen++;
    if (k === 2) m.lastMoveSeen = m.counts[slot];
    if (k === 1 && m.recent.length === 1) m.lastMoveSeen = 0;
    if (m.counts[slot] < MAX_COUNT) m.counts[slot]++;
  }
  return m.recent.length > 0 ? unseen / config.contextOrder : 0;
}

/**
 * ln P(Z > z) for a standard normal Z, accurate in the far tail where P itself underflows
 * (erfc by Abramowitz & Stegun 7.1.26 for moderate z, the asymptotic series beyond).
 */
export function normalLogUpperTail(z: number): number {
  if (z < 0) return Math.log1p(-Math.exp(normalLogUpperTail(-z)));
  if (z > 8) {
    // Mills ratio: Q(z) ~ phi(z) / z * (1 - 1/z^2 + 3/z^4).
    const inv2 = 1 / (z * z);
    return -0.5 * z * z - Math.log(z) - 0.5 * Math.log(2 * Math.PI) + Math.log(1 - inv2 + 3 * inv2 * inv2);
  }
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.log(0.5 * poly) - x * x;
}
