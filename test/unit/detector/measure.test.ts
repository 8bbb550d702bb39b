import {
  createDetector,
  DEFAULT_DETECTOR_CONFIG,
  type DetectorState,
  restoreDetector,
} from '../../../core/detector';
import { binomialLogUpperTail } from '../../../core/detector/measure';

/** A detector's state as an older version saved it: without `fields` in each measure. */
function savedWithout(detector: ReturnType<typeof createDetector>, ...fields: string[]): DetectorState {
  const old = JSON.parse(JSON.stringify(detector.snapshot())) as DetectorState;
  for (const m of Object.values(old.measures) as unknown as Record<string, unknown>[]) {
    for (const f of fields) delete m[f];
  }
  return old;
}

describe('binomialLogUpperTail', () => {
  it('when worked by hand, gives the binomial upper tail', () => {
    // P(X >= 1), X ~ B(2, 1/2) = 1 - 1/4 = 3/4.
    expect(binomialLogUpperTail(2, 0.5, 1)).toBeCloseTo(Math.log(0.75), 12);
    // P(X >= 3), X ~ B(3, 0.1) = 0.001.
    expect(binomialLogUpperTail(3, 0.1, 3)).toBeCloseTo(Math.log(0.001), 12);
    // P(X >= 2), X ~ B(3, 0.2) = 3 * 0.04 * 0.8 + 0.008 = 0.104.
    expect(binomialLogUpperTail(3, 0.2, 2)).toBeCloseTo(Math.log(0.104), 12);
  });

  it('when the count is impossible or certain, gives -Infinity or 0', () => {
    expect(binomialLogUpperTail(3, 0.2, 4)).toBe(Number.NEGATIVE_INFINITY);
    expect(binomialLogUpperTail(3, 0.2, 0)).toBe(0);
    expect(binomialLogUpperTail(3, 1, 2)).toBe(0);
  });
});

describe('run view', () => {
  /** Noise between 0 and 10 with a rare level near 9-10, deterministic. */
  function noisy(i: number): number {
    const u = Math.sin(i * 12.9898) * 43758.5453;
    return 10 * (u - Math.floor(u)) ** 3;
  }

  it('when a rare level is held for several points, scores it far above the same level once', () => {
    const detector = createDetector();
    for (let i = 0; i < 2000; i++) detector.update(noisy(i), i * 1000);
    const saved = detector.snapshot();
    const once = restoreDetector(saved);
    const onceScores = [9.5, noisy(3), noisy(4), noisy(5)].map((v, k) => once.update(v, (2000 + k) * 1000));
    const held = restoreDetector(saved);
    const heldScores = [9.5, 9.6, 9.4, 9.5, 9.6, 9.5].map((v, k) => held.update(v, (2000 + k) * 1000));
    expect(Math.max(...heldScores)).toBeGreaterThan(Math.max(...onceScores) + 0.1);
  });

  it('when restoring a state saved before the run view existed, resumes without NaN', () => {
    const detector = createDetector();
    for (let i = 0; i < 500; i++) detector.update(noisy(i), i * 1000);
    const resumed = restoreDetector(savedWithout(detector, 'recent', 'recentAt', 'levels'));
    const scores = Array.from({ length: 300 }, (_, k) => resumed.update(noisy(500 + k), (500 + k) * 1000));
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
  });

  it('when restoring a state saved before the jump statistics existed, resumes close to the original', () => {
    const detector = createDetector();
    for (let i = 0; i < 3000; i++) detector.update(noisy(i), i * 1000);
    const resumed = restoreDetector(savedWithout(detector, 'jumpMean', 'jumpVariance'));
    const next = (d: typeof detector) =>
      Array.from({ length: 500 }, (_, k) => d.update(noisy(3000 + k), (3000 + k) * 1000));
    const original = next(detector);
    const scores = next(resumed);
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    // Neutral starting values must not turn ordinary points into alarms.
    expect(Math.max(...scores)).toBeLessThanOrEqual(Math.max(...original) + 0.05);
  });
});

describe('hour-of-day run view', () => {
  const FIVE_MINUTES = 300_000;
  const HOUR = 3_600_000;
  /** High (around 80) from 08:00 to 20:00 UTC, low (around 20) at night, with a little noise. */
  function daily(t: number): number {
    const u = Math.sin(t * 1e-5) * 43758.5453;
    const hour = (t / HOUR) % 24;
    return (hour >= 8 && hour < 20 ? 80 : 20) + 4 * (u - Math.floor(u));
  }

  it('when a level usual by day is held at night, scores it far above the same level by day', () => {
    const detector = createDetector();
    const days = 14;
    let t = 0;
    for (; t < days * 24 * HOUR; t += FIVE_MINUTES) detector.update(daily(t), t);
    const saved = detector.snapshot();
    const at = (start: number) => {
      const d = restoreDetector(saved);
      // Carry on as usual until `start` hours into the next day, then hold 81 for 40 minutes.
      let u = t;
      for (; u < t + start * HOUR; u += FIVE_MINUTES) d.update(daily(u), u);
      return Math.max(...Array.from({ length: 8 }, (_, k) => d.update(81, u + k * FIVE_MINUTES)));
    };
    const byDay = at(12);
    const atNight = at(2);
    expect(byDay).toBeLessThan(0.5);
    expect(atNight).toBeGreaterThan(0.5);
    expect(atNight).toBeGreaterThan(byDay + 0.2);
  });

  it('when readings have no time, still scores them in [0, 1]', () => {
    const detector = createDetector();
    const scores = Array.from({ length: 1000 }, (_, i) => detector.update(daily(i * FIVE_MINUTES)));
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
  });
});

describe('range novelty', () => {
  /** Roughly normal noise (a sum of uniforms) around 60 with a spread of 0.5, deterministic. */
  function healthy(): () => number {
    let s = 7;
    const uniform = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
    return () => {
      let u = -6;
      for (let k = 0; k < 12; k++) u += uniform();
      return 60 + 0.5 * u;
    };
  }

  it('when a slow climb goes far beyond the learned range, keeps scoring higher the further it goes', () => {
    const noise = healthy();
    const detector = createDetector();
    const tenHz = 100;
    const healthyPoints = 3000;
    const climbPoints = 20_000;
    const learned: number[] = [];
    const healthyScores: number[] = [];
    const climbScores: number[] = [];
    for (let i = 0; i < healthyPoints; i++) {
      const x = noise();
      // Far records are measured against the range of the first 5 minutes (all of these).
      learned.push(x);
      healthyScores.push(detector.update(x, i * tenHz));
    }
    // A climb far slower than the noise: each value is barely beyond the one before, and the
    // range seen keeps extending with it, but the climb ends six learned ranges out.
    const range = Math.max(...learned) - Math.min(...learned);
    for (let k = 0; k < climbPoints; k++) {
      const x = noise() + (6 * range * k) / climbPoints;
      climbScores.push(detector.update(x, (healthyPoints + k) * tenHz));
    }
    expect(Math.max(...healthyScores)).toBeLessThan(DEFAULT_DETECTOR_CONFIG.severity.warning);
    expect(Math.max(...climbScores)).toBeGreaterThanOrEqual(0.95);
    // The further it goes, the higher it scores: the second half peaks above the first.
    const half = climbPoints / 2;
    expect(Math.max(...climbScores.slice(half))).toBeGreaterThan(Math.max(...climbScores.slice(0, half)));
  });
});
