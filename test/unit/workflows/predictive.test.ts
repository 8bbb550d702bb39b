import Database from 'better-sqlite3';
import { FEATURE_WINDOW_MS, predictiveDataset, windowFeatures } from '../../../core/ml/predictive';
import type { TelemetryRecord } from '../../../core/ports';
import { createLocalWorkflows } from '../../../local/workflows';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.UTC(2026, 10, 24, 0, 0, 0);
/** pump-1 fails every 12 hours; the last failure is still to come, 1 hour after NOW. */
const FAILURES = [-59, -47, -35, -23, -11, 1].map((h) => NOW + h * HOUR);
/** Hours of rising bearing temperature before a failure (what the predictor can see coming). */
const PRECURSOR_H = 4;

function noise(i: number, k: number): number {
  const x = Math.sin(i * 12.9898 + k * 78.233) * 43758.5453;
  return (x - Math.floor(x)) * 2 - 1;
}

async function fleet(since: number, until: number): Promise<TelemetryRecord[]> {
  const out: TelemetryRecord[] = [];
  for (const [d, deviceId] of ['pump-1', 'pump-2'].entries()) {
    for (let t = Math.ceil(since / MINUTE) * MINUTE; t < until; t += MINUTE) {
      const i = t / MINUTE;
      const next = deviceId === 'pump-1' ? FAILURES.find((f) => f > t) : undefined;
      const lead = next === undefined ? Number.POSITIVE_INFINITY : (next - t) / HOUR;
      const ramp = lead < PRECURSOR_H ? (PRECURSOR_H - lead) * 4 : 0;
      out.push({
        deviceId,
        site: 'plant-a',
        time: t,
        seq: i,
        measures: {
          vibration_rms: 1 + ramp * 0.05 + 0.05 * noise(i, d),
          bearing_temp_c: 55 + ramp + 0.4 * noise(i, d + 7),
          motor_current_a: 12 + 0.2 * noise(i, d + 13),
          pressure_kpa: 300 + 2 * noise(i, d + 21),
        },
      });
    }
  }
  return out;
}

describe('failure predictor data', () => {
  it('when windows precede a failure within the horizon they are positive; windows during one are left out', async () => {
    const windows = windowFeatures(await fleet(NOW - 24 * HOUR, NOW));
    const rows = predictiveDataset(
      windows,
      FAILURES.map((at) => ({ deviceId: 'pump-1', at })),
    );
    const at = (deviceId: string, start: number) =>
      rows.find((r) => r.window.deviceId === deviceId && r.window.start === start);

    expect(windows[0]!.features).toHaveLength(16);
    expect(at('pump-1', NOW - 13 * HOUR)?.label).toBe(1);
    expect(at('pump-1', NOW - 18 * HOUR)?.label).toBe(0);
    expect(at('pump-1', NOW - 11 * HOUR)).toBeUndefined();
    expect(rows.filter((r) => r.window.deviceId === 'pump-2').every((r) => r.label === 0)).toBe(true);
    expect(windows.every((w) => w.start % FEATURE_WINDOW_MS === 0)).toBe(true);
  });
});

describe('failure predictor (local run of the retraining workflow)', () => {
  it('when the simulator ground truth marks failures, the predictor learns their precursors and predicts for every device', async () => {
    const workflows = createLocalWorkflows({
      db: new Database(':memory:'),
      publish: () => undefined,
      clock: () => NOW,
      readings: fleet,
      trainingWindowDays: 3,
      groundTruth: async () =>
        FAILURES.filter((f) => f < NOW).map((startMs) => ({ deviceId: 'pump-1', startMs })),
    });
    const run = await workflows.startRetraining().done;

    expect(run.status).toBe('succeeded');
    expect(run.states).toEqual(
      expect.arrayContaining(['TrainPredictor', 'CreatePredictorModel', 'PredictRecent', 'StorePredictions']),
    );
    const predictions = workflows.predictions();
    expect(predictions.map((p) => p.deviceId).sort()).toEqual(['pump-1', 'pump-2']);
    const p1 = predictions.find((p) => p.deviceId === 'pump-1')!;
    const p2 = predictions.find((p) => p.deviceId === 'pump-2')!;
    expect(p1).toMatchObject({
      kind: 'prediction',
      schema: 'aiot.prediction/1',
      ts: NOW,
      horizonMs: 6 * HOUR,
    });
    // pump-1 is an hour from a failure, its bearing warming as before every failure; pump-2 is healthy.
    expect(p1.probability).toBeGreaterThan(0.8);
    expect(p1.probability - p2.probability).toBeGreaterThan(0.3);
  });

  it('when there are no failures to learn from, no predictor is trained and the anomaly outcome stands', async () => {
    const workflows = createLocalWorkflows({
      db: new Database(':memory:'),
      publish: () => undefined,
      clock: () => NOW,
      readings: fleet,
      trainingWindowDays: 3,
    });
    const run = await workflows.startRetraining().done;

    expect(run).toMatchObject({ status: 'succeeded', outcome: 'kept-current' });
    expect(run.states).toContain('NoFailuresToLearn');
    expect(workflows.predictions()).toHaveLength(0);
  });
});
