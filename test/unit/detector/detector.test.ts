import fc from 'fast-check';
import {
  createDetector,
  DEFAULT_DETECTOR_CONFIG,
  type DetectorState,
  restoreDetector,
  severityOf,
} from '../../../core/detector';

const FIVE_MINUTES = 300_000;

/** A noisy daily cycle (288 points a day) with a spike every 1500 points, deterministic. */
function series(length: number): number[] {
  return Array.from({ length }, (_, i) => {
    const noise = Math.sin(i * 12.9898) * 43758.5453;
    return (
      50 +
      20 * Math.sin((2 * Math.PI * i) / 288) +
      2 * (noise - Math.floor(noise)) +
      (i % 1500 === 1499 ? 40 : 0)
    );
  });
}

function run(values: readonly number[], seed = 1): number[] {
  const detector = createDetector({}, seed);
  return values.map((v, i) => detector.update(v, i * FIVE_MINUTES));
}

describe('createDetector', () => {
  it('when fed the same series twice with the same seed, gives identical scores', () => {
    const values = series(3000);
    expect(run(values, 7)).toEqual(run(values, 7));
  });

  it('when fed any finite values, keeps every score in [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 800 }),
        (values) => {
          for (const s of run(values)) {
            expect(s).toBeGreaterThanOrEqual(0);
            expect(s).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('when values reach the limits of a double, still scores in [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 700 }),
        (values) => {
          for (const s of run(values)) expect(s >= 0 && s <= 1).toBe(true);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('when the series is constant, stays at the neutral score and never NaN', () => {
    // A point exactly as surprising as usual has tail probability 1/2: -log10(0.5) = 0.301
    // digits, so 0.301 / (0.301 + 5) = 0.0568.
    const scores = run(new Array<number>(2000).fill(42));
    expect(scores.every((s) => s >= 0 && s < 0.06)).toBe(true);
  });

  it('when values are missing and time has gaps, never returns NaN', () => {
    const detector = createDetector();
    const values = series(2000);
    const scores = values.map((v, i) => {
      const value = i % 7 === 0 ? Number.NaN : v;
      const gap = i > 1000 && i % 100 === 0 ? 50 * FIVE_MINUTES : 0;
      return detector.update(value, i * FIVE_MINUTES + gap);
    });
    expect(scores.some(Number.isNaN)).toBe(false);
  });

  it('when a quiet series jumps far outside its range, scores the jump high', () => {
    const detector = createDetector();
    const values = series(1400);
    values.forEach((v, i) => {
      detector.update(v, i * FIVE_MINUTES);
    });
    expect(detector.update(500, 1400 * FIVE_MINUTES)).toBeGreaterThan(0.5);
  });

  it('when still learning, scores 0', () => {
    const scores = run(series(DEFAULT_DETECTOR_CONFIG.learningPoints));
    expect(scores.every((s) => s === 0)).toBe(true);
  });

  it('when the configuration is invalid, names the field', () => {
    expect(() => createDetector({ moveSlots: 1000 })).toThrow('moveSlots');
    expect(() => createDetector({ historyHalfLife: 0 })).toThrow('historyHalfLife');
    expect(() => createDetector({ learningMs: -1 })).toThrow('learningMs');
    expect(() => createDetector({ suppressMs: Number.NaN })).toThrow('suppressMs');
  });
});

describe('snapshot and restoreDetector', () => {
  it('when restored from a JSON round trip, gives the same next scores as the original', () => {
    const values = series(4000);
    const original = createDetector();
    values.slice(0, 2500).forEach((v, i) => {
      original.update(v, i * FIVE_MINUTES);
    });
    const restored = restoreDetector(JSON.parse(JSON.stringify(original.snapshot())) as DetectorState);
    for (let i = 2500; i < values.length; i++) {
      expect(restored.update(values[i], i * FIVE_MINUTES)).toBe(original.update(values[i], i * FIVE_MINUTES));
    }
  });

  it('when snapshotted at any early point, resumes with the same scores', () => {
    // Centred on 0, so a value lost from the state (read back as 0) would change the errors.
    const values = series(700).map((v) => v - 50);
    for (const at of [0, 1, 2, 3, 150, 301]) {
      const original = createDetector();
      for (let i = 0; i < at; i++) original.update(values[i], i * FIVE_MINUTES);
      const restored = restoreDetector(JSON.parse(JSON.stringify(original.snapshot())) as DetectorState);
      for (let i = at; i < values.length; i++) {
        expect(restored.update(values[i], i * FIVE_MINUTES)).toBe(
          original.update(values[i], i * FIVE_MINUTES),
        );
      }
    }
  });

  it('when snapshotted after one value, restores a state equal to the original after the next', () => {
    const original = createDetector();
    original.update(10, 0);
    const restored = restoreDetector(JSON.parse(JSON.stringify(original.snapshot())) as DetectorState);
    original.update(1, FIVE_MINUTES);
    restored.update(1, FIVE_MINUTES);
    expect(restored.snapshot()).toEqual(original.snapshot());
  });

  it('when the series grows long, the state stays bounded below 64 KB', () => {
    const detector = createDetector();
    const values = series(20000);
    values.forEach((v, i) => {
      detector.update(v, i * FIVE_MINUTES);
    });
    const early = JSON.stringify(detector.snapshot()).length;
    values.forEach((v, i) => {
      detector.update(v * 3 + (i % 13), (20000 + i) * FIVE_MINUTES);
    });
    const late = JSON.stringify(detector.snapshot()).length;
    expect(late).toBeLessThan(64 * 1024);
    expect(late).toBeLessThan(early * 2);
  });

  it('when the state is not a detector state, refuses it', () => {
    expect(() => restoreDetector({ version: 3, measures: {} } as unknown as DetectorState)).toThrow(
      'not a detector state of version 1 or 2 (version 3)',
    );
    expect(() => restoreDetector({ version: 2 } as unknown as DetectorState)).toThrow('version 1 or 2');
  });

  it('when the state is of version 1, upgrades it and keeps what it learned', () => {
    const values = series(3000);
    const original = createDetector();
    values.slice(0, 2000).forEach((v, i) => {
      original.update(v, i * FIVE_MINUTES);
    });
    // A version 1 state: the same learned model without the fields version 2 added.
    const v2 = original.snapshot();
    const v1 = JSON.parse(JSON.stringify({ ...v2, version: 1 })) as Record<string, unknown>;
    delete v1.lastAlarmMs;
    for (const m of Object.values(v1.measures as Record<string, Record<string, unknown>>)) {
      for (const key of ['learned', 'sinceMs', 'counter', 'lastRaw', 'run', 'longestRun', 'rateMean'])
        delete m[key];
    }
    const upgraded = restoreDetector(v1 as unknown as DetectorState);
    expect(upgraded.snapshot().version).toBe(2);
    // Still learned: it scores at once (a fresh detector would read 0 for 300 points), and
    // gives the spike of the series the same alarm the original gives.
    const next = values.slice(2000).map((v, i) => upgraded.update(v, (2000 + i) * FIVE_MINUTES));
    const reference = values.slice(2000).map((v, i) => original.update(v, (2000 + i) * FIVE_MINUTES));
    expect(next[0]).toBeGreaterThan(0);
    const spike = 2999 - 2000;
    expect(reference[spike]).toBeGreaterThan(0.5);
    expect(next[spike]).toBeCloseTo(reference[spike]!, 1);
  });
});

describe('multivariate input', () => {
  const reading = (i: number, extra = 0) => ({
    vibration_rms: 1 + 0.1 * Math.sin(i / 10),
    bearing_temp_c: 60 + Math.sin(i / 50) + extra,
    motor_current_a: 12 + 0.5 * Math.cos(i / 20),
    pressure_kpa: 300 + 2 * Math.sin(i / 30),
  });

  it('when one of several measures breaks away, scores the reading high', () => {
    const detector = createDetector();
    for (let i = 0; i < 1500; i++) detector.update(reading(i), i * 1000);
    expect(detector.update(reading(1500, 40), 1500 * 1000)).toBeGreaterThan(0.5);
  });

  it('when measures come as an array, scores like named measures in the same order', () => {
    const named = createDetector();
    const positional = createDetector();
    for (let i = 0; i < 800; i++) {
      const r = reading(i, i === 700 ? 10 : 0);
      const a = named.update(r, i * 1000);
      const b = positional.update(Object.values(r), i * 1000);
      expect(b).toBe(a);
    }
  });

  it('when a measure is named like an object property, treats it as a plain measure', () => {
    const detector = createDetector();
    for (let i = 0; i < 400; i++) detector.update({ constructor: i % 5, toString: 1 }, i * 1000);
    expect(Object.keys(detector.snapshot().measures).sort()).toEqual(['constructor', 'toString']);
    expect(() => detector.update(JSON.parse('{"__proto__": 1}') as Record<string, number>)).toThrow(
      '__proto__',
    );
  });

  it('when a reading brings more measures than allowed, refuses it', () => {
    const detector = createDetector({ maxMeasures: 2 });
    expect(() => detector.update([1, 2, 3])).toThrow('at most 2 measures');
  });
});

describe('severityOf', () => {
  it('when the score crosses the configured thresholds, grades info, warning, critical', () => {
    const config = { severity: { warning: 0.5, critical: 0.8 } };
    expect(severityOf(0.49, config)).toBe('info');
    expect(severityOf(0.5, config)).toBe('warning');
    expect(severityOf(0.8, config)).toBe('critical');
  });
});
