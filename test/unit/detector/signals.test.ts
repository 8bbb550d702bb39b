import { createDetector, DEFAULT_DETECTOR_CONFIG, type Detector } from '../../../core/detector';
import {
  EPOCH_MS,
  type Fault,
  faultsFor,
  type Series,
  type SignalName,
  sample,
  signalKind,
  withOutages,
} from '../../fixtures/signals';

const { warning, critical } = DEFAULT_DETECTOR_CONFIG.severity;
/**
 * How far above the warning level a fault must score: 0.03 above 0.85 is 9 more decimal digits
 * of surprise (28 against 37), a tail a billion times smaller.
 */
const FAULT_MARGIN = 0.03;

function scoreAll(series: Series, detector: Detector = createDetector()): number[] {
  return series.values.map((v, i) => detector.update(v, series.times[i]));
}

function alarmsPerHour(series: Series, scores: readonly number[]): number {
  const hours = (series.times[series.times.length - 1]! - series.times[0]!) / 3_600_000;
  return scores.filter((s) => s >= warning).length / hours;
}

/** Highest score while the fault lasts (the jump back at its end is not a detection). */
function peakDuring(series: Series, scores: readonly number[], fault: Fault): number {
  const from = EPOCH_MS + fault.startS * 1000;
  const until = from + Math.max(fault.lengthS, 1) * 1000;
  let peak = 0;
  series.times.forEach((t, i) => {
    if (t >= from && t < until) peak = Math.max(peak, scores[i]!);
  });
  return peak;
}

describe('detector on a wild value', () => {
  it.each([65535, 1e9, -1e9])('when one reading is %p, later +8σ spikes are still flagged', (wild) => {
    const series = sample('noise', { rateHz: 1, durationS: 3 * 3600, seed: 11 });
    const wildAt = 1800;
    series.values[wildAt] = wild;
    const spikes = [3600, 5400, 7200, 9000];
    for (const at of spikes) series.values[at] = series.values[at]! + 8 * signalKind('noise').sigma;
    const scores = scoreAll(series);
    for (const at of spikes) expect(scores[at]).toBeGreaterThan(warning);
  });
});

describe('detector across sampling gaps', () => {
  it('when sampling stops for half a minute now and then, the reading after each outage is no alarm', () => {
    let outages = 0;
    let alarmsAfter = 0;
    for (const seed of [1, 2]) {
      // A process that wanders over minutes, at 10 Hz: over 30 s it moves many typical steps.
      const series = withOutages(
        sample('mean-reverting walk', { rateHz: 10, durationS: 2 * 3600, seed }),
        0.02,
        30,
        seed,
      );
      const scores = scoreAll(series);
      series.times.forEach((t, i) => {
        if (i === 0 || t - series.times[i - 1]! < 10_000) return;
        outages++;
        if (scores[i]! >= warning) alarmsAfter++;
      });
    }
    expect(outages).toBeGreaterThanOrEqual(3);
    expect(alarmsAfter).toBe(0);
  });

  it('when readings come faster than 10 Hz, learns for learningMs, not for a fraction of it', () => {
    const learnt = (rateHz: number) => {
      const series = sample('noise', { rateHz, durationS: 600, seed: 5 });
      const detector = createDetector();
      const firstScored = series.values.findIndex((v, i) => detector.update(v, series.times[i]) > 0);
      return (series.times[firstScored]! - series.times[0]!) / 1000;
    };
    const { learningMs, learningPoints } = DEFAULT_DETECTOR_CONFIG;
    // At 1 Hz the readings are the longer requirement, at 10 Hz both agree, at 40 Hz the time.
    expect(learnt(1)).toBeGreaterThanOrEqual(learningPoints);
    for (const rateHz of [10, 40]) {
      expect(learnt(rateHz)).toBeGreaterThanOrEqual(learningMs / 1000);
      expect(learnt(rateHz)).toBeLessThanOrEqual(1.05 * (learningMs / 1000));
    }
  });

  it('when a slow walk is sampled at 10 Hz, judges its far records against 5 minutes of it', () => {
    // Learning ends after 30 s, far too soon to see how far a walk with a 5-minute relaxation
    // time wanders; its far records would otherwise warn several times an hour.
    let alarms = 0;
    for (const seed of [31, 32]) {
      const series = sample('mean-reverting walk', { rateHz: 10, durationS: 3 * 3600, seed });
      alarms += scoreAll(series).filter((s) => s >= warning).length;
    }
    expect(alarms / 6).toBeLessThanOrEqual(0.5);
  });

  it.each([1, 10])(
    'when sampled at %p Hz, holds back a weaker alarm for suppressMs and no longer',
    (rateHz) => {
      const series = sample('noise', { rateHz, durationS: 1800, seed: 9 });
      const at = (s: number) => Math.round(s * rateHz);
      const { suppressMs } = DEFAULT_DETECTOR_CONFIG;
      const first = at(900);
      const within = at(900 + (0.5 * suppressMs) / 1000);
      const after = at(900 + (1.5 * suppressMs) / 1000) + DEFAULT_DETECTOR_CONFIG.suppressPoints;
      series.values[first] = series.values[first]! + 30;
      series.values[within] = series.values[within]! + 20;
      series.values[after] = series.values[after]! + 20;
      const scores = scoreAll(series);
      expect(scores[first]).toBeGreaterThan(warning);
      expect(scores[within]).toBe(0);
      expect(scores[after]).toBeGreaterThan(warning);
    },
  );

  it('when readings carry no timestamps, still learns and scores', () => {
    const series = sample('noise', { rateHz: 1, durationS: 3600, seed: 2 });
    series.values[3000] = series.values[3000]! + 10;
    const detector = createDetector();
    const scores = series.values.map((v) => detector.update(v));
    expect(scores.slice(0, DEFAULT_DETECTOR_CONFIG.learningPoints).every((s) => s === 0)).toBe(true);
    expect(scores[3000]).toBeGreaterThan(warning + FAULT_MARGIN);
  });
});

describe('detector on counters', () => {
  it('when a meter rolls over to zero once, flags the reset and then counts on quietly', () => {
    const series = sample('energy counter', { rateHz: 1, durationS: 4 * 3600, seed: 13 });
    const resetAt = 2 * 3600;
    const base = series.values[resetAt]!;
    const values = series.values.map((v, i) => (i >= resetAt ? v - base : v));
    const detector = createDetector();
    const scores = values.map((v, i) => detector.update(v, series.times[i]));
    expect(scores[resetAt]).toBeGreaterThan(critical);
    const later = scores.slice(resetAt + 1).filter((s) => s >= warning).length;
    expect(later).toBeLessThanOrEqual(2);
  });

  it.each(['energy counter', 'cycle counter'] as const)(
    'when a %s counts normally, raises at most one alarm an hour',
    (name) => {
      const series = sample(name, { rateHz: 1, durationS: 6 * 3600, seed: 3 });
      expect(alarmsPerHour(series, scoreAll(series))).toBeLessThanOrEqual(1);
    },
  );

  it.each([
    ['energy counter', 'counter stop'],
    ['energy counter', 'counter jump'],
    ['cycle counter', 'counter stop'],
    ['cycle counter', 'counter jump'],
  ] as const)('when a %s sees a %s, flags it', (name, kind) => {
    const fault: Fault = { kind, startS: 5400, lengthS: 600 };
    const series = sample(name, { rateHz: 1, durationS: 7200, seed: 4, fault });
    expect(peakDuring(series, scoreAll(series), fault)).toBeGreaterThan(critical);
  });
});

describe('detector on stuck sensors and rhythm', () => {
  it.each([
    ['stuck', 'noise'],
    ['frequency', 'sine'],
  ] as const)(
    'when a %s fault on a %s lasts 20 minutes, raises one alarm for it, not a run',
    (kind, name) => {
      const fault: Fault = { kind, startS: 2700, lengthS: 1200 };
      const series = sample(name, { rateHz: 1, durationS: 3900, seed: 12, fault });
      const scores = scoreAll(series);
      const from = EPOCH_MS + fault.startS * 1000;
      const during = scores.filter(
        (s, i) => s >= warning && series.times[i]! >= from && series.times[i]! < from + 1_200_000,
      );
      expect(during.length).toBe(1);
      expect(during[0]).toBeGreaterThan(critical);
    },
  );

  it.each(['noise', 'sine', 'daily pattern'] as const)(
    'when a %s sensor sticks at its last value, flags it clearly',
    (name) => {
      const fault: Fault = { kind: 'stuck', startS: 2700, lengthS: 600 };
      const series = sample(name, { rateHz: 1, durationS: 3600, seed: 6, fault });
      expect(peakDuring(series, scoreAll(series), fault)).toBeGreaterThan(critical);
    },
  );

  it.each([1, 10])('when a vibration period drops from 60 s to 20 s at %p Hz, scores high', (rateHz) => {
    const fault: Fault = { kind: 'frequency', startS: 2700, lengthS: 600 };
    const series = sample('sine', { rateHz, durationS: 3600, seed: 7, fault });
    expect(peakDuring(series, scoreAll(series), fault)).toBeGreaterThan(critical);
  });
});

describe('detector on healthy and faulty signals at its defaults', () => {
  const healthy: SignalName[] = [
    'noise',
    'sine',
    'mean-reverting walk',
    'daily pattern',
    'energy counter',
    'cycle counter',
  ];

  it.each(healthy.flatMap((name) => [1, 10].map((rateHz) => [name, rateHz] as const)))(
    'when a healthy %s is sampled at %p Hz, raises well under one alarm an hour',
    (name, rateHz) => {
      const hours = rateHz === 1 ? 6 : 1.5;
      let rate = 0;
      for (const seed of [21, 22]) {
        const series = sample(name, { rateHz, durationS: hours * 3600, seed });
        rate += alarmsPerHour(series, scoreAll(series)) / 2;
      }
      expect(rate).toBeLessThanOrEqual(0.5);
    },
  );

  // Known gaps, in docs/detector.md: on white noise at 1 Hz a 5σ level shift peaks at about
  // 0.83 and a drift of 1σ a minute at about 0.82, just under the warning level.
  const gaps = new Set(['noise/level shift', 'noise/drift']);
  it.each(
    healthy
      .filter((name) => !signalKind(name).counter)
      .flatMap((name) => faultsFor(name).map((kind) => [kind, name] as const))
      .filter(([kind, name]) => !gaps.has(`${name}/${kind}`)),
  )('when a %s hits a %s at 1 Hz, scores it clearly above the warning level', (kind, name) => {
    const fault: Fault = { kind, startS: 2700, lengthS: kind === 'spike' ? 0 : 600 };
    for (const seed of [8, 9]) {
      const series = sample(name, { rateHz: 1, durationS: 3600, seed, fault });
      expect(peakDuring(series, scoreAll(series), fault)).toBeGreaterThan(warning + FAULT_MARGIN);
    }
  });
});
