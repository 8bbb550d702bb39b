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
 * - Robust scales: the typical error and the range seen move by at most a few typical errors
 *   per reading, so one wild value (a sensor's 65535 or 1e9 error code) is flagged but cannot
 *   capture them and blind the detector to what follows.
 * - Counters: a measure that never decreased while learning, with many increments, is a
 *   meter (kWh, operating hours, cycles); it is modelled by its increments, so a normal meter
 *   is quiet and one that stops or jumps is not.
 * - Flatline: a run of identical readings longer than any seen, judged against how often the
 *   series repeats a value at all (a stuck sensor keeps sending its last value).
 * - Rhythm: how often the series crosses its running centre (with a hysteresis of two typical
 *   errors), smoothed, against its learned mean and spread: a vibration whose period changes
 *   crosses more or less often.
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
  /** Next slot of the ring, and the timestamp of the latest bin kept in it (null if unknown). */
  recentAt: number;
  recentMs: number | null;
  /** Values binned since the grid was fixed (saturating like the counts). */
  levels: number;
  /** Learning is over (enough readings and, when timestamps come, enough time). */
  learned: boolean;
  /** Timestamp of the first reading learned from (null without timestamps). */
  sinceMs: number | null;
  /** 1 for a counter judged by its increments, -1 for a level, 0 until decided. */
  counter: number;
  /** Previous raw reading (before a counter's increment is taken); NaN until seen. */
  lastRaw: number;
  /** Steps up and down between raw readings while undecided. */
  ups: number;
  downs: number;
  /** Flatline view: the previous raw reading (NaN until seen), the current run of identical raw
   * readings, the longest run seen, steps and repeats. */
  lastFlat: number;
  run: number;
  /** The flatline view has alarmed on the current run. */
  flatAlarm: boolean;
  longestRun: number;
  steps: number;
  repeats: number;
  /** Rhythm view: running centre, side of it (+1, -1, 0 unknown), smoothed crossing rate. */
  centre: number;
  side: number;
  crossRate: number;
  /** Readings folded into the centre and rate (bias correction of the early averages). */
  rhythmN: number;
  /** Long-term mean and variance of the crossing rate, and how many were folded. */
  rateMean: number;
  rateVariance: number;
  rateCount: number;
  /** The rhythm view has alarmed on the current change of rhythm. */
  rhythmAlarm: boolean;
  /**
   * The learned range that far records are measured against: the grid's range, widened to
   * the range seen until RANGE_SETTLE_MS have passed since learning began (null until the
   * grid is fixed).
   */
  refLow: number | null;
  refHigh: number | null;
}

/** Counts saturate here: past it a move is simply very familiar, and the JSON stays small. */
const MAX_COUNT = 65535;
/** Caps a surprise (in typical errors) so one absurd value cannot blind the statistics. */
const MAX_SURPRISE = 50;
/**
 * An error counts at most this many typical errors in the update of the typical error: a burst
 * of large errors still widens it, one wild value barely does.
 */
const ERROR_CLIP = 100;
/**
 * The range seen grows by at most this many typical errors, or by its own span, a reading
 * (whichever is more): a real change of level is followed within some readings, while one
 * wild value cannot stretch the range and so hide every later excursion.
 */
const RANGE_CLIP = 4;
/**
 * A value more than this many spans of the range seen beyond it is wild (a sensor's error
 * code, or the first reading of a huge shift): it is judged, but left out of the typical error
 * and of the surprise statistics, so that it cannot blind them.
 */
const WILD_SPANS = 10;
/** A measure is a counter if it never decreased while learning and rose on this share of steps. */
const COUNTER_SHARE = 0.01;
/** ... and at least this many times. */
const COUNTER_STEPS = 3;
/** Learning periods a never-decreasing series may stay undecided (a constant one, say). */
const COUNTER_PATIENCE = 10;
/** A run of identical readings is judged only after this many steps were seen. */
const FLAT_STEPS = 100;
/**
 * Decimal digits of evidence at which the flatline view alarms, and the digits it then gives
 * (a score of about 0.95) however long the run lasts: one alarm, not a rising run of them.
 */
const FLAT_TRIGGER_DIGITS = 20;
const FLAT_DIGITS = 100;
/**
 * Half-life of the running centre and of the smoothed crossing rate: this many readings or
 * this many seconds, whichever is longer, so that a fast series' rhythm is judged over as
 * many periods as a slow one's.
 */
const CENTRE_HALF_LIFE = 64;
const RATE_HALF_LIFE = 256;
/** Half-life, in readings, of the crossing rate's long-term mean and spread. */
const RATE_HISTORY_HALF_LIFE = 4000;
/**
 * Floor of the crossing rate's spread, as a share of what crossings at random times would
 * give: a perfectly regular rhythm must not make every small irregularity an alarm.
 */
const RATE_FLOOR = 0.2;
/** A crossing rate this many spreads from its mean is not folded into its statistics. */
const RATE_FREEZE_Z = 4;
/**
 * A crossing needs the value this many typical errors beyond the centre: with less, noise
 * around the centre at a fast rate crosses it many times on each pass of the rhythm.
 */
const RHYTHM_BAND = 2;
/** Decimal digits of evidence at which the rhythm view alarms, and the digits it then gives. */
const RHYTHM_TRIGGER_DIGITS = 20;
const RHYTHM_DIGITS = 100;
/** Steps and repeats are halved past this, so the repeat share follows the series. */
const MAX_STEPS = 1e6;
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
/** Power of the tail of a move's size that bounds the tail of the pooled move judgement. */
const MOVE_SIZE_POWER = 2;
/** Weight of that second judgement in the log-linear pool of the two. */
const JUMP_WEIGHT = 0.25;
/**
 * Time from the start of learning during which the range far records are judged against keeps
 * widening with the range seen, and no far record is news: 5 minutes, as a process that
 * wanders over minutes needs (at NAB's rates it is over at the second reading).
 */
const RANGE_SETTLE_MS = 300_000;
/**
 * A value this share of the seen range beyond it is a range novelty (NAB HTM uses 5 %), if it
 * is also more than RECORD_ERRORS typical errors beyond it: a record within one typical error
 * is noise (a 10 Hz series, or a meter's increments counted in whole quanta, set many such).
 */
const RANGE_TOLERANCE = 0.05;
const RECORD_ERRORS = 1;
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
    recentMs: null,
    levels: 0,
    learned: false,
    sinceMs: null,
    counter: 0,
    lastRaw: Number.NaN,
    ups: 0,
    downs: 0,
    lastFlat: Number.NaN,
    run: 0,
    flatAlarm: false,
    longestRun: 0,
    steps: 0,
    repeats: 0,
    centre: 0,
    side: 0,
    crossRate: 0,
    rhythmN: 0,
    rateMean: 0,
    rateVariance: 0,
    rateCount: 0,
    rhythmAlarm: false,
    refLow: null,
    refHigh: null,
  };
}

/**
 * Adds the fields of version 2 to a measure state of version 1: its learning is over if it
 * had seen the learning points, it stays a level (version 1 judged every measure so), and the
 * flatline and rhythm views start from nothing and judge once they have seen enough.
 */
export function upgradeToV2(m: MeasureState, config: DetectorConfig): void {
  const fresh = newMeasure(config);
  const fields = [
    'sinceMs',
    'recentMs',
    'lastRaw',
    'ups',
    'downs',
    'lastFlat',
    'run',
    'flatAlarm',
    'longestRun',
    'steps',
    'repeats',
    'centre',
    'side',
    'crossRate',
    'rhythmN',
    'rateMean',
    'rateVariance',
    'rateCount',
    'rhythmAlarm',
  ] as const;
  for (const f of fields) (m as unknown as Record<string, unknown>)[f] = fresh[f];
  m.learned = m.n > config.learningPoints;
  m.counter = -1;
  // The grid's range, as version 1 measured far records against it.
  if (m.width > 0) {
    m.refLow = m.origin;
    m.refHigh = m.origin + m.width * config.bins;
  }
}

/** Starts the model over (a measure found to be a counter relearns on its increments). */
function restart(m: MeasureState, config: DetectorConfig, timeMs: number | undefined): void {
  const keep = {
    lastFlat: m.lastFlat,
    run: m.run,
    flatAlarm: m.flatAlarm,
    longestRun: m.longestRun,
    steps: m.steps,
    repeats: m.repeats,
    lastRaw: m.lastRaw,
    counter: m.counter,
  };
  Object.assign(m, newMeasure(config), keep, { sinceMs: timeMs ?? null });
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

/**
 * Forgets the previous value and bin across a gap in time: the next reading is not judged as a
 * move from the one before the gap (the level views still judge it), nor is a counter's rise
 * over the gap taken for one increment.
 */
export function breakContext(m: MeasureState): void {
  m.lastBin = Number.NaN;
  m.last = Number.NaN;
  m.beforeLast = Number.NaN;
  m.lastRaw = Number.NaN;
}

/**
 * Feeds one finite value and returns the natural log of its tail probability: near 0 for
 * the expected, very negative for the surprising. While learning it returns 0.
 *
 * @param hour hour of the day of the reading (0-23), when its time is known
 * @param timeMs timestamp of the reading, when known (learning then lasts `learningMs` too)
 * @param spacingMs typical spacing between readings (0 when unknown)
 */
export function updateMeasure(
  m: MeasureState,
  raw: number,
  config: DetectorConfig,
  hour?: number,
  timeMs?: number,
  spacingMs = 0,
): number {
  const flatTail = flatline(m, raw);
  if (m.sinceMs === null && timeMs !== undefined) m.sinceMs = timeMs;
  const elapsed = m.sinceMs !== null && timeMs !== undefined ? timeMs - m.sinceMs : Number.POSITIVE_INFINITY;
  let x = raw;
  if (m.counter >= 0) {
    const previous = m.lastRaw;
    m.lastRaw = raw;
    if (m.counter === 0 && !Number.isNaN(previous)) {
      if (raw > previous) m.ups++;
      if (raw < previous) m.downs++;
    }
    if (m.counter === 1) {
      // A counter is judged by its increments; the first reading (or the first after a gap)
      // has none.
      if (Number.isNaN(previous)) return 0;
      x = raw - previous;
    }
  }

  const half = config.learningPoints >> 1;
  m.n++;
  if (!m.learned && m.n > config.learningPoints && elapsed >= config.learningMs) {
    if (m.counter === 0) {
      // Decided at the end of learning: a counter then learns again, on its increments. A
      // series that never decreased but rose too rarely to tell (a cycle counter at 10 Hz
      // moves once in 40 readings) learns on until it decreases, rises often enough, or has
      // been undecided for COUNTER_PATIENCE learning periods.
      const isCounter = m.downs === 0 && m.ups >= COUNTER_STEPS && m.ups >= COUNTER_SHARE * m.n;
      const undecided = m.downs === 0 && !isCounter && m.n < COUNTER_PATIENCE * config.learningPoints;
      if (!undecided) m.counter = isCounter ? 1 : -1;
      if (isCounter) {
        restart(m, config, timeMs);
        return 0;
      }
    }
    if (m.counter !== 0) m.learned = true;
  }
  const learning = !m.learned;

  // Robust range: a new extreme moves the range by at most a few typical errors or its own
  // span, so one wild value does not stretch it (and so hide the next excursion); `beyond`
  // still sees the value.
  const span = m.max - m.min;
  const beyond = span > 0 ? Math.min(Math.max(x - m.max, m.min - x) / span, MAX_BEYOND) : 0;
  const step =
    m.n > 3 && m.absError > 0 && span >= 0
      ? Math.max(RANGE_CLIP * m.absError, span)
      : Number.POSITIVE_INFINITY;
  if (x < m.min) m.min = step < Number.POSITIVE_INFINITY ? Math.max(x, m.min - step) : x;
  if (x > m.max) m.max = step < Number.POSITIVE_INFINITY ? Math.min(x, m.max + step) : x;
  const gridFixed = m.width > 0;
  if (!gridFixed && m.n >= half && elapsed >= config.learningMs / 2) fixGrid(m, config);
  // A fast series learns its readings in seconds, too soon to see how far it wanders: the
  // range far records are judged against keeps widening with the range seen for a while.
  const settled = elapsed >= RANGE_SETTLE_MS;
  if (m.width > 0 && !settled && m.refLow !== null && m.refHigh !== null) {
    m.refLow = Math.min(m.refLow, m.min);
    m.refHigh = Math.max(m.refHigh, m.max);
  }
  const rhythmTail = rhythm(m, x, learning, spacingMs);

  const wild = m.learned && beyond > WILD_SPANS;
  const surprise = moveSurprise(m, x, config, wild);
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
    remember(m, bin, timeMs);
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
  const discountedSurprise = surprise / (1 + seen);

  let logTail = 0;
  if (!learning) {
    const std = Math.max(Math.sqrt(m.variance), MIN_STD);
    const discounted = normalLogUpperTail((discountedSurprise - m.mean) / std);
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
    const pooled = (1 - JUMP_WEIGHT) * discounted + JUMP_WEIGHT * jump;
    // However unfamiliar, a move of an ordinary size is not extreme: the pooled tail is
    // bounded by a power of the move's tail among the series' own jumps, before any discount.
    // At 10 Hz a series makes 36,000 moves an hour, and the discounted surprises of familiar
    // moves spread so little that an ordinary move into a rarely visited bin would otherwise
    // be given hundreds of digits.
    const sizeTail = Math.min(0, normalLogUpperTail((surprise - m.jumpMean) / jumpStd));
    const move = Math.max(pooled, MOVE_SIZE_POWER * sizeTail);
    logTail = Math.min(move, runTail);
    // How far out is judged against the learned range too: with a slow climb the range seen
    // extends with every value, so no value is far beyond it, while the learned range stays
    // put. Far out, every new record is novel, and more so the further it goes.
    const learnedOut = beyondLearned(m, x, config.bins);
    const clear = beyond * span > RECORD_ERRORS * m.absError;
    const farRecord = settled && beyond > 0 && learnedOut > FAR_RECORD;
    if ((beyond > RANGE_TOLERANCE && clear) || newLevel || farRecord) {
      // A new record is judged by how far it lies beyond the range seen, or beyond the far-
      // record line (FAR_RECORD learned ranges out), whichever is further: a slow climb scores
      // higher the further it goes, while a wandering series that merely visits a new bin
      // near its learned range, or sets a record a little past it, does not escalate.
      const far = beyond > 0 ? Math.max(beyond, learnedOut - FAR_RECORD) : 0;
      logTail = Math.min(logTail, -Math.LN10 * NOVELTY_DIGITS * (1 + far));
    }
    logTail = Math.min(logTail, flatTail, rhythmTail);
  }
  if (gridFixed && !wild) foldSurprise(m, discountedSurprise, surprise, config);
  return logTail;
}

/**
 * Flatline view on the raw reading: ln of the chance of a run of identical readings this much
 * longer than the longest seen, each further repeat as likely as the series' share of repeats
 * (Laplace-smoothed). A noisy sensor that never repeated flags a few repeats; a quantized one
 * that often repeats needs a long run. It stops growing at FLAT_MAX_DIGITS, so a lasting
 * flatline is one alarm and not a rising run of them.
 */
function flatline(m: MeasureState, raw: number): number {
  if (m.run > 0) {
    m.steps++;
    if (raw === m.lastFlat) m.repeats++;
    if (m.steps > MAX_STEPS) {
      m.steps /= 2;
      m.repeats /= 2;
    }
  }
  if (m.run > 0 && raw === m.lastFlat) {
    m.run++;
  } else {
    m.longestRun = Math.max(m.longestRun, m.run);
    m.run = 1;
    m.flatAlarm = false;
  }
  m.lastFlat = raw;
  if (!m.learned) {
    m.longestRun = Math.max(m.longestRun, m.run);
    return 0;
  }
  if (m.steps < FLAT_STEPS || m.run <= m.longestRun) return 0;
  const share = (m.repeats + 1) / (m.steps + 2);
  const evidence = (m.run - m.longestRun) * Math.log(share);
  if (m.flatAlarm || evidence > -Math.LN10 * FLAT_TRIGGER_DIGITS) return 0;
  m.flatAlarm = true;
  return -Math.LN10 * FLAT_DIGITS;
}

/**
 * Rhythm view: the series crosses its running centre (a crossing needs the value two typical
 * errors beyond it, so noise around the centre is not a rhythm); the smoothed rate of crossings
 * is judged against its long-term mean and spread, both ways. The spread has a floor of half
 * what crossings at random times would give, so that a perfectly regular rhythm does not make
 * every small irregularity an alarm.
 */
function rhythm(m: MeasureState, x: number, learning: boolean, spacingMs: number): number {
  m.rhythmN++;
  // Half-lives in readings, stretched to as many seconds when readings come faster than 1 Hz.
  const perSecond = spacingMs > 0 ? Math.max(1, 1000 / spacingMs) : 1;
  const centreHalfLife = CENTRE_HALF_LIFE * perSecond;
  const rateHalfLife = RATE_HALF_LIFE * perSecond;
  const centreAlpha = Math.max(1 / m.rhythmN, 1 - 2 ** (-1 / centreHalfLife));
  m.centre += centreAlpha * (x - m.centre);
  const band = RHYTHM_BAND * m.absError;
  let crossed = 0;
  if (x > m.centre + band && m.side <= 0) {
    crossed = m.side < 0 ? 1 : 0;
    m.side = 1;
  } else if (x < m.centre - band && m.side >= 0) {
    crossed = m.side > 0 ? 1 : 0;
    m.side = -1;
  }
  const rateAlpha = Math.max(1 / m.rhythmN, 1 - 2 ** (-1 / rateHalfLife));
  m.crossRate += rateAlpha * (crossed - m.crossRate);
  if (m.rhythmN < rateHalfLife) return 0;
  let tail = 0;
  let z = 0;
  if (m.rateCount > rateHalfLife) {
    const alpha = 1 - 2 ** (-1 / rateHalfLife);
    const floor = RATE_FLOOR * Math.sqrt((Math.max(m.rateMean, 1 / rateHalfLife) * alpha) / 2);
    z = Math.abs(m.crossRate - m.rateMean) / Math.max(Math.sqrt(m.rateVariance), floor);
    if (!learning && normalLogUpperTail(z) + Math.LN2 <= -Math.LN10 * RHYTHM_TRIGGER_DIGITS) {
      // Once: a lasting change of rhythm is one alarm, not a rising run of them.
      if (!m.rhythmAlarm) tail = -Math.LN10 * RHYTHM_DIGITS;
      m.rhythmAlarm = true;
    }
  }
  if (z <= RATE_FREEZE_Z) m.rhythmAlarm = false;
  // A rhythm far from the usual one is kept out of its statistics until it has raised its
  // alarm, so that a change stays visible instead of widening the spread it is judged by;
  // after the alarm the statistics follow the new rhythm.
  if (z > RATE_FREEZE_Z && !m.rhythmAlarm) return tail;
  m.rateCount++;
  const alpha = Math.max(1 / m.rateCount, 1 - 2 ** (-1 / (RATE_HISTORY_HALF_LIFE * perSecond)));
  const delta = m.crossRate - m.rateMean;
  m.rateMean += alpha * delta;
  m.rateVariance = (1 - alpha) * (m.rateVariance + alpha * delta * delta);
  return tail;
}

/**
 * Distance of x beyond the range the grid was fixed on, in units of that range (0 inside, and
 * always 0 when the series was flat while learning: a range of nothing is no yardstick).
 */
function beyondLearned(m: MeasureState, x: number, bins: number): number {
  // Grids at (or within a hair of) the floor were fixed on a flat learning period.
  if (m.width <= 1.5 * gridFloor(m.origin, m.origin)) return 0;
  const low = m.refLow ?? m.origin;
  const high = m.refHigh ?? m.origin + m.width * bins;
  const out = Math.max(low - x, x - high) / (high - low);
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
  m.refLow = m.origin;
  m.refHigh = m.origin + m.width * config.bins;
}

function moveSurprise(m: MeasureState, x: number, config: DetectorConfig, wild: boolean): number {
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
  // Clipped, so that one wild value cannot capture the typical error (and hide what follows).
  const clipped = m.n > 3 && m.absError > 0 ? Math.min(error, ERROR_CLIP * m.absError) : error;
  if (!wild) m.absError += alpha * (clipped - m.absError);
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
/** ... at most one a second: readings closer than that are not independent evidence. */
const RUN_SPACING_MS = 1000;
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

/**
 * Counts a visit, and keeps the bin in the ring of latest values unless the last one kept is
 * less than RUN_SPACING_MS old: readings closer than that are not independent evidence (a
 * 10 Hz series sits in the same bin for many readings), and the binomial tail assumes they are.
 */
function remember(m: MeasureState, bin: number, timeMs?: number): void {
  if (m.levels < MAX_COUNT) m.levels++;
  if (
    timeMs !== undefined &&
    m.recentMs !== null &&
    timeMs >= m.recentMs &&
    timeMs - m.recentMs < RUN_SPACING_MS
  ) {
    return;
  }
  m.recentMs = timeMs ?? null;
  m.recent[m.recentAt] = bin;
  m.recentAt = (m.recentAt + 1) % m.recent.length;
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
