import { DEFAULT_DETECTOR_CONFIG, type Detector } from '../../../core/detector';
import { type AssessedDevice, assessReading } from '../../../greengrass/anomaly-detector/assess';
import { EdgeConfigSchema } from '../../../greengrass/anomaly-detector/config';

const T0 = Date.UTC(2026, 10, 24, 12);
const S = 1000;
const detectorConfig = { ...DEFAULT_DETECTOR_CONFIG, severity: { warning: 0.85, critical: 0.95 } };
const edge = EdgeConfigSchema.parse({
  safetyLimits: { bearing_temp_c: { max: 90 } },
  episodeQuietMs: 300_000,
});

/** A device whose detector answers the scores given, one per reading. */
function device(scores: number[]): AssessedDevice {
  let i = 0;
  const detector = {
    config: detectorConfig,
    update: () => scores[i++] ?? 0,
    snapshot: () => ({}),
  } as unknown as Detector;
  return { detector, nearLimit: false };
}

/** Assesses readings (seconds after T0, temperature) in turn; returns what each one asked for. */
function run(d: AssessedDevice, readings: readonly (readonly [number, number])[], config = edge) {
  return readings.map(([s, temp]) => {
    const a = assessReading({ ts: T0 + s * S, values: { bearing_temp_c: temp } }, d, {
      edge: config,
      detector: detectorConfig,
    });
    return [s, a.event?.severity ?? '-', a.actuate ? 'actuate' : '-', a.held ? 'held' : '-'];
  });
}

describe('assessReading', () => {
  it('when the detector is learning (score 0), nothing is sent and nothing acts', () => {
    const d = device(Array(300).fill(0));
    const out = run(
      d,
      Array.from({ length: 300 }, (_, i) => [i, 50] as const),
    );
    expect(out.every(([, e, a, h]) => e === '-' && a === '-' && h === '-')).toBe(true);
    expect(d.episode).toBeUndefined();
  });

  it('when a warning episode later turns critical, one event opens it, one escalates it, and the command goes once', () => {
    const d = device([0.9, 0.9, 0.97, 0.99, 0.9, 0.97]);
    expect(
      run(d, [
        [0, 50],
        [1, 50],
        [2, 50],
        [3, 50],
        [4, 50],
        [5, 50],
      ]),
    ).toEqual([
      [0, 'warning', '-', '-'],
      [1, '-', '-', 'held'],
      [2, 'critical', 'actuate', '-'],
      [3, '-', '-', 'held'],
      [4, '-', '-', 'held'],
      [5, '-', '-', 'held'],
    ]);
    expect(d.episode).toMatchObject({ startedAt: T0, severity: 'critical' });
  });

  it('when a critical episode lasts an hour, the device is commanded once, not every cooldown', () => {
    const d = device(Array(3600).fill(0.99));
    const out = run(
      d,
      Array.from({ length: 3600 }, (_, i) => [i, 50] as const),
    );
    expect(out.filter(([, , a]) => a === 'actuate')).toEqual([[0, 'critical', 'actuate', '-']]);
    expect(out.filter(([, e]) => e !== '-')).toHaveLength(1);
  });

  it('when a reading comes near a safety limit, it is critical whatever the score, and acts once while it stays near', () => {
    const d = device(Array(5).fill(0.1));
    expect(
      run(d, [
        [0, 50],
        [1, 82],
        [2, 85],
        [3, 86],
        [4, 79],
      ]),
    ).toEqual([
      [0, '-', '-', '-'],
      [1, 'critical', 'actuate', '-'],
      [2, '-', '-', '-'],
      [3, '-', '-', '-'],
      [4, '-', '-', '-'],
    ]);
    expect(d.nearLimit).toBe(true); // 79 is still within twice the margin
  });

  it('when the quiet time passes, the next anomaly opens a new episode (and may act again)', () => {
    const d = device([0.99, 0.1, 0.99]);
    expect(
      run(d, [
        [0, 50],
        [200, 50],
        [300, 50],
      ]),
    ).toEqual([
      [0, 'critical', 'actuate', '-'],
      [200, '-', '-', '-'],
      [300, 'critical', 'actuate', '-'],
    ]);
  });

  it('when events start at critical, warnings are neither sent nor open an episode', () => {
    const d = device([0.9, 0.9, 0.97]);
    const config = EdgeConfigSchema.parse({ eventMinSeverity: 'critical', safetyLimits: {} });
    expect(
      run(
        d,
        [
          [0, 50],
          [1, 50],
          [2, 50],
        ],
        config,
      ),
    ).toEqual([
      [0, '-', '-', '-'],
      [1, '-', '-', '-'],
      [2, 'critical', 'actuate', '-'],
    ]);
  });
});
