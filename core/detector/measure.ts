/**
 * The model of one measure (one numeric stream): cheap online views of surprise, turned
 * into a tail probability.
 *
 * - Move surprise. The forecast is the previous value (random walk), so a level shift is
 *   flagged at its onset and not for as long as a smoothed level lags behind; a value back
 *   at the one before is the end of a spike, not a new surprise. The error is measured in
 *   units of the typical error (mean absolute error) and then discounted by how often the
 *   series has made the same move before: values are binned on a coarse grid fixed while
 *   learning (with bins doubling in width beyond the learned range), and a hashed table
 *   counts transitions (previous bin, bin). A daily drop or a nightly job seen every day
 *   stops being news; a jump the series never made keeps its full weight. (Judging a value
 *   in its learned context is CAD OSE's idea.)
 * - Anomaly likelihood (after HTM): each surprise is compared with the long-term mean and
 *   spread of surprises of the same series, so a bursty series needs a larger jump than a
 *   quiet one before its tail probability becomes small. The move is also judged before the
 *   discount, against the series' own jumps, with familiarity as a factor on that tail; the
 *   two judgements are pooled, so that neither's overconfidence decides alone.
 * - Level novelty: a value in a bin never visited since the grid was fixed, or beyond every
 *   value seen so far by more than 5 % of the range seen (the "spatial anomaly" of NAB's
 *   HTM detector), is an anomaly whatever its move. How novel is judged against the learned
 *   range as well, and far beyond it every new record counts, so a slow climb, which only
 *   ever extends the range seen a little, scores higher the further out it goes.
 */
import type { DetectorConfig } from './config';

/** JSON-serializable state of one measure. */
export interface MeasureState {
  /** Finite values seen. */
  n: number;
  /** Range of all values seen (for range novelty and, during learning, for the grid). */
  min: number;
  max: number;
  /** Bin grid (see binOf): origin and width of the inner bins; width 0 until fixed. */
  origin: number;
  width: number;
  /** Previous value (the forecast) and the one before; NaN until seen. */
  last: number;
  beforeLast: number;
  /** Bin of the previous value; NaN before the grid is fixed or after a gap. */
  lastBin: number;
  /** Typical absolute forecast error. */
  absError: number;
  /** Hashed counts of transitions (previous bin, bin) and of bins visited, saturating. */
  moves: number[];
  /** Long-term mean and variance of the discounted surprise, and how many were folded. */
  mean: number;
  variance: number;
  count: number;
  /** Long-term mean and variance of the surprise before the familiarity discount. */
  jumpMean: number;
  jumpVariance: number;
  /** Bins of the latest values (a ring of RUN_POINTS, EMPTY where unfilled), for the run view. */
  recent: number[];
  /** Next slot of the ring. */
  recentAt: number;
  /** Values binned since the grid was fixed (saturating like the counts). */
  levels: number;
}

/** Counts saturate here: past it a move is simply very familiar, and the JSON stays small. */
const MAX_COUNT = 65535;
/** Caps a surprise (in typical errors) so one absurd value cannot blind the statistics. */
const MAX_SURPRISE = 50;
/**
 * Floor of the spread of surprises: a series that is almost perfectly predictable must not
 * turn a rounding-level surprise into an alarm.
 */
const MIN_STD = 0.02;
/**
 * Power of (1 + times the move was made before) by which a familiar jump is less surprising
 * in the second judgement of a move.
 */
const FAMILIARITY_POWER = 5;
/** Weight of that second judgement in the log-linear pool of the two. */
const JUMP_WEIGHT = 0.25;
/** A value this share of the seen range beyond it is a range novelty (NAB HTM uses 5 %). */
const RANGE_TOLERANCE = 0.05;
/**
 * Learned ranges beyond the learned range from which any new record is a novelty, however
 * close to the previous one (a slow climb makes only such records).
 */
const FAR_RECORD = 2;
/**
 * Decimal digits of surprise given to a new level (a score of 0.8, the default critical
 * level), growing with how far the value lies beyond the range seen.
 */
const NOVELTY_DIGITS = 20;
/** Beyond this many ranges out, a value is not ranked any higher (keeps the arithmetic finite). */
const MAX_BEYOND = 1e6;

/** A fresh measure state. */
export function newMeasure(config: DetectorConfig): MeasureState {
  return {
    n: 0,
    min: Number.POSITIVE_INFINITY,
    max: Number.NEGATIVE_INFINITY,
    origin: 0,
    width: 0,
    last: Number.NaN,
    beforeLast: Number.NaN,
    lastBin: Number.NaN,
    absError: 0,
    moves: new Array<number>(config.moveSlots).fill(0),
    mean: 0,
    variance: 0,
    count: 0,
    jumpMean: 0,
    jumpVariance: 0,
    recent: new Array<number>(RUN_POINTS).fill(EMPTY),
    recentAt: 0,
    levels: 0,
  };
}

/** Adds the run view's fields to a measure state saved before they existed. */
export function upgradeMeasure(m: MeasureState): void {
  m.recent = new Array<number>(RUN_POINTS).fill(EMPTY);
  m.recentAt = 0;
  m.levels = 0;
}

/**
 * Adds the jump statistics to a measure state saved before they existed. A surprise is an
 * error in typical errors, so its mean is about 1 whatever the series; a spread of 1 is wider
 * than that of Gaussian noise (about 0.75), so the first jumps after a restore err calm.
 */
export function upgradeJumps(m: MeasureState): void {
  m.jumpMean = 1;
  m.jumpVariance = 1;
}

/** Forgets the previous bin, e.g. across a gap in time, so the next move is not counted as one. */
export function breakContext(m: MeasureState): void {
  m.lastBin = Number.NaN;
}

/**
 * Feeds one finite value and returns the natural log of its tail probability: near 0 for
 * the expected, very negative for the surprising. While learning it returns 0.
 *
 * @param hour hour of the day of the reading (0-23), when its time is known
 */
export function updateMeasure(m: MeasureState, x: number, config: DetectorConfig, hour?: number): number {
  const half = config.learningPoints >> 1;
  m.n++;
  const learning = m.n <= config.learningPoints;

  const span = m.max - m.min;
  const beyond = span > 0 ? Math.min(Math.max(x - m.max, m.min - x) / span, MAX_BEYOND) : 0;
  if (x < m.min) m.min = x;
  if (x > m.max) m.max = x;
  if (m.n === half) fixGrid(m, config);

  const surprise = moveSurprise(m, x, config);
  let seen = 0;
  let newLevel = false;
  let runTail = 0;
  if (m.width > 0) {
    const bin = binOf(m, x, config.bins);
    const levelSeen = count(m, LEVEL_KEY, bin);
    newLevel = levelSeen === 0;
    if (!learning) {
      // The bin alone, and the bin with its two neighbours: a rare regime often straddles a
      // grid line, and then neither bin alone is visited often enough to stand out.
      const near = levelSeen + peek(m, LEVEL_KEY, bin - 1) + peek(m, LEVEL_KEY, bin + 1);
      runTail = Math.min(runLogTail(m, bin, levelSeen, m.levels, 0), runLogTail(m, bin, near, m.levels, 1));
    }
    if (hour !== undefined) {
      // The same test against the visits at this hour of the day: a level usual at noon can
      // be rare at midnight (or a daily peak can fail to come).
      const hourKey = HOUR_KEY + hour;
      const hourSeen = count(m, hourKey, bin);
      const hourTotal = count(m, hourKey, HOUR_TOTAL);
      if (!learning) runTail = Math.min(runTail, runLogTail(m, bin, hourSeen, hourTotal, 0));
    }
    remember(m, bin);
    if (!Number.isNaN(m.lastBin)) {
      const from = m.lastBin;
      // A move one bin off at either end is nearly the same move: it counts half, so that
      // familiarity does not hinge on where the grid lines happen to fall.
      const near =
        peek(m, from, bin - 1) + peek(m, from, bin + 1) + peek(m, from - 1, bin) + peek(m, from + 1, bin);
      seen = count(m, from, bin) + NEIGHBOUR_WEIGHT * near;
    }
    m.lastBin = bin;
  }
  const raw = surprise / (1 + seen);

  let logTail = 0;
  if (!learning) {
    const std = Math.max(Math.sqrt(m.variance), MIN_STD);
    const discounted = normalLogUpperTail((raw - m.mean) / std);
    // The same move judged a second way: the jump against the series' own jumps, made less
    // surprising by a power of how often it was made before. In a series whose moves are
    // mostly familiar the discounted surprises hardly spread, so an unfamiliar but ordinary
    // jump gets an absurdly small tail from the first way alone; a bursty series' own jumps
    // temper it. The two are pooled log-linearly, the first keeping most of the weight.
    const jumpStd = Math.max(Math.sqrt(m.jumpVariance), MIN_STD);
    const jump = Math.min(
      0,
      normalLogUpperTail((surprise - m.jumpMean) / jumpStd) + FAMILIARITY_POWER * Math.log(1 + seen),
    );
    const move = (1 - JUMP_WEIGHT) * discounted + JUMP_WEIGHT * jump;
    logTail = Math.min(move, runTail);
    // How far out is judged against the learned range too: with a slow climb the range seen
    // extends with every value, so no value is far beyond it, while the learned range stays
    // put. Far out, every new record is novel, and more so the further it goes.
    const learnedOut = beyondLearned(m, x, config.bins);
    if (beyond > RANGE_TOLERANCE || newLevel || (beyond > 0 && learnedOut > FAR_RECORD)) {
      const far = Math.max(beyond, learnedOut);
      logTail = Math.min(logTail, -Math.LN10 * NOVELTY_DIGITS * (1 + far));
    }
  }
  if (m.n > half) foldSurprise(m, raw, surprise, config);
  return logTail;
}

/**
 * Distance of x beyond the range the grid was fixed on, in units of that range (0 inside, and
 * always 0 when the series was flat while learning: a range of nothing is no yardstick).
 */
function beyondLearned(m: MeasureState, x: number, bins: number): number {
  // Grids at (or within a hair of) the floor were fixed on a flat learning period.
  if (m.width <= 1.5 * gridFloor(m.origin, m.origin)) return 0;
  const span = m.width * bins;
  const out = Math.max(m.origin - x, x - (m.origin + span)) / span;
  return out > 0 ? Math.min(out, MAX_BEYOND) : 0;
}

/** A flat learning period still needs a grid: its bins are a tiny share of the magnitude. */
function gridFloor(min: number, max: number): number {
  return 1e-6 * Math.max(1, Math.abs(max), Math.abs(min));
}

function fixGrid(m: MeasureState, config: DetectorConfig): void {
  const span = m.max - m.min;
  m.width = Math.max(span / config.bins, gridFloor(m.min, m.max));
  m.origin = m.min;
}

function moveSurprise(m: MeasureState, x: number, config: DetectorConfig): number {
  if (Number.isNaN(m.last)) {
    m.last = x;
    return 0;
  }
  // A value back where it was two steps ago is the end of a one-point spike, which was
  // already surprising once; it is not a second surprise.
  const back = Number.isNaN(m.beforeLast) ? Number.POSITIVE_INFINITY : Math.abs(x - m.beforeLast);
  // Capped so that values near the float limits cannot overflow the statistics to NaN.
  const error = Math.min(Math.abs(x - m.last), back, Number.MAX_VALUE / 4);
  const scale = m.absError + 1e-12 * (1 + Math.abs(m.last));
  const surprise = m.n > 2 ? Math.min(error / scale, MAX_SURPRISE) : 0;
  const alpha = Math.max(1 / m.n, 1 - 2 ** (-1 / config.residualHalfLife));
  m.absError += alpha * (error - m.absError);
  m.beforeLast = m.last;
  m.last = x;
  return surprise;
}

/**
 * Bin of x: `bins` equal bins over the range seen while learning, then bins doubling in
 * width beyond it on either side, so that excursions of a similar size share a bin (and a
 * recurring one, such as a nightly job, becomes familiar) however far out they go.
 */
function binOf(m: MeasureState, x: number, bins: number): number {
  const u = (x - m.origin) / m.width;
  if (!Number.isFinite(u)) return u > 0 ? bins + 1024 : -1025;
  if (u >= bins) return bins + Math.floor(Math.log2(1 + (u - bins)));
  if (u < 0) return -1 - Math.floor(Math.log2(1 - u));
  return Math.floor(u);
}

/** Key of the level counts in the table (no bin is this far out: bins grow in octaves). */
const LEVEL_KEY = 0x7fffffff;

/**
 * Keys of the visits by hour of the day: (HOUR_KEY + hour, bin) counts visits to a bin at that
 * hour and (HOUR_KEY + hour, HOUR_TOTAL) all readings at that hour. Neither a bin nor a level
 * key comes near these numbers.
 */
const HOUR_KEY = 0x40000000;
const HOUR_TOTAL = -0x3fffffff;

/** Weight of the moves one bin off in the familiarity of a move. */
const NEIGHBOUR_WEIGHT = 0.5;

function slotOf(m: MeasureState, from: number, to: number): number {
  let hash = Math.imul(0x811c9dc5 ^ (from + 0x9e3779b1), 0x01000193) >>> 0;
  hash = Math.imul(hash ^ (to + 0x7f4a7c15), 0x01000193) >>> 0;
  return (hash ^ (hash >>> 15)) & (m.moves.length - 1);
}

/** How often the pair (from, to) was counted. */
function peek(m: MeasureState, from: number, to: number): number {
  return m.moves[slotOf(m, from, to)];
}

/** Counts the pair (from, to) in the hashed table; returns how often it was seen before. */
function count(m: MeasureState, from: number, to: number): number {
  const slot = slotOf(m, from, to);
  const seen = m.moves[slot];
  if (seen < MAX_COUNT) m.moves[slot] = seen + 1;
  return seen;
}

/** Latest values the run view looks back over. */
const RUN_POINTS = 10;
/** Marks an unfilled slot of the ring (no bin is this far out: bins grow in octaves). */
const EMPTY = -0x7fffffff;

/**
 * Run view: how unlikely it is that the current bin shows up this often among the latest
 * values, given how rarely the series has been there (a binomial tail). One visit to a rare
 * level is a spike, which the move surprise judges; several visits in a short span are a
 * shift to a rare regime, even when every step into it was small or familiar. This is a
 * windowed-distribution test in the spirit of NAB's relative-entropy detector, cut down to
 * the one bin that matters at each point. `levelSeen` counts past visits to the bins within
 * `reach` of `bin` out of `total`, and so do the hits among the latest values.
 */
function runLogTail(m: MeasureState, bin: number, levelSeen: number, total: number, reach: number): number {
  let hits = 1;
  let filled = 1;
  for (const b of m.recent) {
    if (b === EMPTY) continue;
    filled++;
    if (Math.abs(b - bin) <= reach) hits++;
  }
  // Share of visits counting this one (so a bin never seen before is not impossible, and a
  // bin that took every visit so far is certain, however few visits there were); counts
  // saturate, so the share only errs upwards.
  const p = (levelSeen + 1) / (total + 1);
  return binomialLogUpperTail(filled, Math.min(p, 1), hits);
}

function remember(m: MeasureState, bin: number): void {
  m.recent[m.recentAt] = bin;
  m.recentAt = (m.recentAt + 1) % m.recent.length;
  if (m.levels < MAX_COUNT) m.levels++;
}

/** ln P(X >= r) for X ~ Binomial(n, p), summed in log space (n is small). */
export function binomialLogUpperTail(n: number, p: number, r: number): number {
  if (r <= 0 || p >= 1) return 0;
  if (r > n) return Number.NEGATIVE_INFINITY;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  let logChoose = 0;
  let top = Number.NEGATIVE_INFINITY;
  const terms = new Array<number>(n + 1 - r);
  for (let k = 1; k <= n; k++) {
    logChoose += Math.log((n - k + 1) / k);
    if (k >= r) {
      const t = logChoose + k * lp + (n - k) * lq;
      terms[k - r] = t;
      if (t > top) top = t;
    }
  }
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - top);
  return Math.min(0, top + Math.log(sum));
}

function foldSurprise(m: MeasureState, raw: number, surprise: number, config: DetectorConfig): void {
  m.count++;
  const alpha = Math.max(1 / m.count, 1 - 2 ** (-1 / config.historyHalfLife));
  const delta = raw - m.mean;
  m.mean += alpha * delta;
  m.variance = (1 - alpha) * (m.variance + alpha * delta * delta);
  const jumpDelta = surprise - m.jumpMean;
  m.jumpMean += alpha * jumpDelta;
  m.jumpVariance = (1 - alpha) * (m.jumpVariance + alpha * jumpDelta * jumpDelta);
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
