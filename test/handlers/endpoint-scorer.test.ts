import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import type { DetectorStateStore, SavedDetectorState, TelemetryRecord } from '../../core/ports';
import { Random } from '../../device/simulator/random';
import {
  EndpointScorer,
  parseRcfResponse,
  rcfToUnit,
  registryModel,
  SCORING_STATE_VERSION,
} from '../../lambda/shared/endpoint-scorer';
import { openLocalStore } from '../../local/store';

const sm = mockClient(SageMakerRuntimeClient);
beforeEach(() => sm.reset());

const T0 = Date.UTC(2026, 10, 24, 12);
const MODEL = { endpointName: 'aiot-dev-detector', threshold: 2 };

function reading(i: number, vibration = 1 + 0.01 * Math.sin(i), deviceId = 'pump-7'): TelemetryRecord {
  return {
    deviceId,
    site: 'plant-a',
    time: T0 + i * 1000,
    seq: i,
    measures: { vibration_rms: vibration, bearing_temp_c: 55, motor_current_a: 12, pressure_kpa: 300 },
  };
}

const rcfAnswer = (scores: number[]) => ({
  Body: Buffer.from(JSON.stringify({ scores: scores.map((score) => ({ score })) })) as never,
});

describe('EndpointScorer', () => {
  it('when the endpoint answers, its RCF scores are mapped to [0, 1], graded, and marked as the endpoint', async () => {
    sm.on(InvokeEndpointCommand).resolves(rcfAnswer([1, 4.5]));
    const scorer = new EndpointScorer({ client: new SageMakerRuntimeClient({}), model: async () => MODEL });
    const batch = await scorer.score([reading(0), reading(1)]);

    expect(batch.scorer).toBe('endpoint');
    expect(batch.scores.map((s) => [s.score, s.severity, s.scorer])).toEqual([
      [0.25, 'info', 'endpoint'],
      [1, 'critical', 'endpoint'],
    ]);
    const body = Buffer.from(
      sm.commandCalls(InvokeEndpointCommand)[0]!.args[0].input.Body as Uint8Array,
    ).toString();
    expect(body).toBe(`${1 + 0.01 * Math.sin(0)},55,12,300\n${1 + 0.01 * Math.sin(1)},55,12,300\n`);
    expect(sm).toHaveReceivedCommandWith(InvokeEndpointCommand, {
      EndpointName: 'aiot-dev-detector',
      ContentType: 'text/csv',
    });
  });

  it('when the endpoint fails, the detector scores the batch, the reason is recorded, and the endpoint rests', async () => {
    let now = T0;
    sm.on(InvokeEndpointCommand).rejects(
      Object.assign(new Error('model container crashed'), { name: 'ModelError' }),
    );
    const scorer = new EndpointScorer({
      client: new SageMakerRuntimeClient({}),
      model: async () => MODEL,
      cooldownMs: 60_000,
      clock: () => now,
    });
    const first = await scorer.score([reading(0)]);
    expect(first).toMatchObject({
      scorer: 'detector',
      fallbackReason: 'endpoint failed: ModelError: model container crashed',
    });
    expect(first.scores[0]!.scorer).toBe('detector');

    now += 30_000;
    const second = await scorer.score([reading(1)]);
    expect(second.fallbackReason).toBe('endpoint cooling down after a failure');
    expect(sm).toHaveReceivedCommandTimes(InvokeEndpointCommand, 1);

    now += 31_000;
    sm.on(InvokeEndpointCommand).resolves(rcfAnswer([1]));
    expect((await scorer.score([reading(2)])).scorer).toBe('endpoint');
  });

  it('when the endpoint is slower than the timeout, the detector scores the batch', async () => {
    // An endpoint that answers only when the test lets it: after the scorer has given up.
    let answerLate = () => {};
    sm.on(InvokeEndpointCommand).callsFake(
      () =>
        new Promise((resolve) => {
          answerLate = () => resolve(rcfAnswer([1]));
        }),
    );
    const scorer = new EndpointScorer({
      client: new SageMakerRuntimeClient({}),
      model: async () => MODEL,
      timeoutMs: 50,
    });
    const batch = await scorer.score([reading(0)]);

    expect(batch).toMatchObject({ scorer: 'detector', fallbackReason: 'endpoint slower than 50 ms' });
    answerLate();
  });

  it('when no model is deployed, the detector scores without calling SageMaker', async () => {
    const scorer = new EndpointScorer({
      client: new SageMakerRuntimeClient({}),
      model: async () => undefined,
    });
    const batch = await scorer.score([reading(0)]);

    expect(batch).toMatchObject({ scorer: 'detector', fallbackReason: 'no model deployed' });
    expect(sm).not.toHaveReceivedCommand(InvokeEndpointCommand);
  });

  it('when the endpoint is down during a fault, the fallback detector still raises an anomaly event', async () => {
    sm.on(InvokeEndpointCommand).rejects(new Error('endpoint not found'));
    const scorer = new EndpointScorer({
      client: new SageMakerRuntimeClient({}),
      model: async () => MODEL,
      cooldownMs: 0,
    });
    for (let i = 0; i < 600; i += 50) {
      await scorer.score(Array.from({ length: 50 }, (_, k) => reading(i + k)));
    }
    const batch = await scorer.score([reading(600, 6)]);

    expect(batch.scorer).toBe('detector');
    expect(batch.anomalies).toEqual([
      expect.objectContaining({
        deviceId: 'pump-7',
        source: 'cloud-detector',
        severity: expect.stringMatching(/warning|critical/),
        episodeStart: T0 + 600_000,
      }),
    ]);
  });

  it('when a batch holds many devices and messages, the endpoint is called once, readings in device-then-time order', async () => {
    const records = [
      reading(2, 1, 'pump-9'),
      reading(1, 1, 'pump-7'),
      reading(0, 1, 'pump-9'),
      reading(0, 1, 'pump-7'),
    ];
    sm.on(InvokeEndpointCommand).resolves(rcfAnswer([1, 1, 1, 1]));
    const scorer = new EndpointScorer({ client: new SageMakerRuntimeClient({}), model: async () => MODEL });
    const batch = await scorer.score(records);

    expect(sm).toHaveReceivedCommandTimes(InvokeEndpointCommand, 1);
    expect(batch.scores.map((s) => `${s.record.deviceId}@${s.record.seq}`)).toEqual([
      'pump-7@0',
      'pump-7@1',
      'pump-9@0',
      'pump-9@2',
    ]);
  });
});

/** A device's readings with seeded noise around a slow cycle, one a second from T0. */
function series(deviceId: string, seed: number, n: number, from = 0): TelemetryRecord[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return reading(
      i,
      2 + 0.3 * Math.sin((2 * Math.PI * i) / 120) + 0.05 * rng.normal() + (i === 900 ? 3 : 0),
      deviceId,
    );
  }).slice(0, n);
}

/** Records of several devices cut into batches of `size` readings per device. */
function batches(devices: readonly TelemetryRecord[][], size: number): TelemetryRecord[][] {
  const n = Math.max(...devices.map((d) => d.length));
  const out: TelemetryRecord[][] = [];
  for (let i = 0; i < n; i += size) out.push(devices.flatMap((d) => d.slice(i, i + size)));
  return out;
}

const scoresOf = (b: Awaited<ReturnType<EndpointScorer['score']>>) =>
  b.scores.map((s) => [s.record.deviceId, s.record.time, s.score]);

function sqliteStates() {
  const local = openLocalStore(':memory:');
  return { states: local.detectorStates, close: () => local.close() };
}

describe('EndpointScorer: episodes and detector state', () => {
  const noModel = async () => undefined;
  const client = new SageMakerRuntimeClient({});
  const fleet = () => [series('pump-1', 11, 1200), series('pump-2', 22, 1200)];

  it('when the scorer restarts mid-stream on the same store, the scores go on exactly as without the restart', async () => {
    const uninterrupted = new EndpointScorer({ client, model: noModel });
    const expected = [];
    for (const b of batches(fleet(), 20)) expected.push(...scoresOf(await uninterrupted.score(b)));

    // Crash: no clean stop; saving after every batch keeps the store up to date.
    const store = sqliteStates();
    const all = batches(fleet(), 20);
    const actual = [];
    const first = new EndpointScorer({ client, model: noModel, states: store.states, saveIntervalMs: 0 });
    for (const b of all.slice(0, 30)) actual.push(...scoresOf(await first.score(b)));
    const second = new EndpointScorer({ client, model: noModel, states: store.states, saveIntervalMs: 0 });
    const resumed = [];
    for (const b of all.slice(30)) resumed.push(...scoresOf(await second.score(b)));
    store.close();

    expect([...actual, ...resumed]).toEqual(expected);
    // No relearning: right after the restart (past 600 points, well after learning) scores are live.
    expect(resumed.slice(0, 40).some(([, , score]) => (score as number) > 0)).toBe(true);
    // The spike at point 900 is found after the restart as it is without one.
    expect(expected.filter(([, t, score]) => t === T0 + 900_000 && (score as number) >= 0.5)).toHaveLength(2);
  });

  it('when the scorer stops cleanly (flush) with the default save interval and restarts, scores go on exactly', async () => {
    const uninterrupted = new EndpointScorer({ client, model: noModel });
    const expected = [];
    for (const b of batches(fleet(), 25)) expected.push(...scoresOf(await uninterrupted.score(b)));

    const store = sqliteStates();
    const all = batches(fleet(), 25);
    const first = new EndpointScorer({ client, model: noModel, states: store.states });
    const actual = [];
    for (const b of all.slice(0, 17)) actual.push(...scoresOf(await first.score(b)));
    expect((await first.flush()).saved).toBe(2);
    const second = new EndpointScorer({ client, model: noModel, states: store.states });
    for (const b of all.slice(17)) actual.push(...scoresOf(await second.score(b)));
    store.close();

    expect(actual).toEqual(expected);
  });

  it('when saving every minute of readings and the scorer crashes, the restarted one does not relearn', async () => {
    const store = sqliteStates();
    const all = batches([series('pump-1', 11, 1200)], 10);
    const first = new EndpointScorer({ client, model: noModel, states: store.states });
    let saves = 0;
    for (const b of all.slice(0, 86)) saves += (await first.score(b)).states.saved;
    // One save per 60 s of readings (and the first), not one per batch.
    expect(saves).toBeLessThanOrEqual(16);

    // The spike at point 900 comes 40 readings after the crash: the resumed detector (its state
    // up to a minute old) finds it; a fresh one would still be learning.
    const spikeScore = async (scorer: EndpointScorer) => {
      let score = Number.NaN;
      for (const b of all.slice(86, 96))
        for (const s of (await scorer.score(b)).scores) if (s.record.time === T0 + 900_000) score = s.score;
      return score;
    };
    const resumed = await spikeScore(new EndpointScorer({ client, model: noModel, states: store.states }));
    const relearning = await spikeScore(new EndpointScorer({ client, model: noModel }));
    store.close();
    expect(resumed).toBeGreaterThanOrEqual(0.5);
    expect(relearning).toBe(0);
  });

  it('when a fault lasts many batches, one event opens the episode and one escalates it; only they are told', async () => {
    const scorer = new EndpointScorer({ client, model: async () => MODEL });
    const answers = [...Array(5).fill(3.5), ...Array(5).fill(3.9), ...Array(5).fill(3.6)]; // warning, critical, warning
    const events = [];
    for (let b = 0; b < 15; b++) {
      sm.on(InvokeEndpointCommand).resolves(rcfAnswer(Array(10).fill(answers[b])));
      const batch = await scorer.score(Array.from({ length: 10 }, (_, k) => reading(b * 10 + k)));
      events.push(...batch.anomalies);
    }
    expect(events.map((e) => [e.severity, e.ts - T0, (e.episodeStart ?? 0) - T0])).toEqual([
      ['warning', 0, 0],
      ['critical', 50_000, 0],
    ]);
  });

  it('when the endpoint answers, the detector does not run; when it fails, the detector scores and its state is saved', async () => {
    const store = sqliteStates();
    const scorer = new EndpointScorer({
      client,
      model: async () => MODEL,
      states: store.states,
      saveIntervalMs: 0,
    });
    sm.on(InvokeEndpointCommand).resolves(rcfAnswer([1, 1]));
    await scorer.score([reading(0), reading(1)]);
    const afterEndpoint = (await store.states.getMany(['pump-7'])).get('pump-7')!.state;
    expect(afterEndpoint).toEqual({ version: SCORING_STATE_VERSION, lastTime: T0 + 1000 });

    sm.on(InvokeEndpointCommand).rejects(new Error('endpoint not found'));
    const fallback = await scorer.score([reading(2), reading(3)]);
    const afterFallback = (await store.states.getMany(['pump-7'])).get('pump-7')!.state;
    store.close();
    expect(fallback.scorer).toBe('detector');
    expect(afterFallback).toMatchObject({ lastTime: T0 + 3000, detector: { version: expect.any(Number) } });
  });

  it('when a batch is delivered again, its readings are not scored again', async () => {
    const scorer = new EndpointScorer({ client, model: noModel });
    const b = series('pump-1', 3, 20);
    expect((await scorer.score(b)).scores).toHaveLength(20);
    const again = await scorer.score([...b, ...series('pump-1', 3, 25).slice(20)]);
    expect(again.alreadyScored).toBe(20);
    expect(again.scores.map((s) => s.record.time - T0)).toEqual([20_000, 21_000, 22_000, 23_000, 24_000]);
  });

  it('when a saved state is of another version or malformed, it is discarded with the reason and the device starts fresh', async () => {
    const store = sqliteStates();
    await store.states.putMany([
      { deviceId: 'old', savedAt: T0, state: { version: 99 } },
      { deviceId: 'bad', savedAt: T0, state: { version: SCORING_STATE_VERSION, lastTime: 'yesterday' } },
      {
        deviceId: 'future-detector',
        savedAt: T0,
        state: { version: SCORING_STATE_VERSION, lastTime: T0 - 1, detector: { version: 999 } },
      },
    ]);
    const scorer = new EndpointScorer({ client, model: noModel, states: store.states });
    const batch = await scorer.score(['old', 'bad', 'future-detector'].map((d) => reading(0, 1, d)));
    store.close();

    expect(batch.states.discarded).toEqual([
      { deviceId: 'bad', reason: expect.stringContaining('saved state malformed: lastTime') },
      { deviceId: 'future-detector', reason: expect.stringContaining('detector state of version 999') },
      { deviceId: 'old', reason: 'saved state of version 99; this scorer reads version 1' },
    ]);
    expect(batch.scores).toHaveLength(3);
  });

  it('when the state store cannot be read, the batch fails rather than relearning over what was saved', async () => {
    const states: DetectorStateStore = {
      getMany: async () => {
        throw new Error('table unreachable');
      },
      putMany: async () => ({ saved: 0, refused: [] }),
    };
    const scorer = new EndpointScorer({ client, model: noModel, states });
    await expect(scorer.score([reading(0)])).rejects.toThrow('table unreachable');
  });

  it('when saving fails or a state is refused, the batch says so, and a failed save is tried with the next batch', async () => {
    let failing = true;
    const puts: SavedDetectorState[][] = [];
    const states: DetectorStateStore = {
      getMany: async () => new Map(),
      putMany: async (s) => {
        if (failing) throw new Error('throttled');
        puts.push([...s]);
        return {
          saved: s.length - 1,
          refused: [
            { deviceId: 'pump-2', reason: 'too-large', detail: 'state of 300000 bytes exceeds the limit' },
          ],
        };
      },
    };
    const scorer = new EndpointScorer({ client, model: noModel, states, saveIntervalMs: 60_000 });
    const first = await scorer.score([reading(0, 1, 'pump-1'), reading(0, 1, 'pump-2')]);
    expect(first.states.saveError).toBe('Error: throttled');

    failing = false;
    const second = await scorer.score([reading(1, 1, 'pump-1'), reading(1, 1, 'pump-2')]);
    expect(puts.map((p) => p.map((s) => s.deviceId))).toEqual([['pump-1', 'pump-2']]);
    expect(second.states).toMatchObject({
      saved: 1,
      refused: [expect.objectContaining({ reason: 'too-large' })],
    });
  });
});

describe('scoring helpers', () => {
  it('when RCF scores are mapped, the model threshold lands on the warning level and twice it on 1', () => {
    expect(rcfToUnit(2, 2)).toBe(0.5);
    expect(rcfToUnit(9, 2)).toBe(1);
    expect(rcfToUnit(1, 0)).toBe(0);
  });

  it('when the endpoint answers the wrong number of scores, the answer is refused', () => {
    expect(() => parseRcfResponse(JSON.stringify({ scores: [{ score: 1 }] }), 2)).toThrow(
      'endpoint answered 1 scores for 2 rows',
    );
  });

  it('when the registry names a model with a threshold, it is used and cached until the TTL passes', async () => {
    let reads = 0;
    let now = 0;
    const objects = {
      get: async () => {
        reads++;
        return JSON.stringify({
          modelName: 'm',
          endpointName: 'aiot-dev-detector',
          endpointConfigName: 'c',
          modelArtifacts: 's3://b/m',
          deployedAt: 1,
          runId: 'r',
          metrics: { auc: 0.9, threshold: 2.5 },
        });
      },
      put: async () => undefined,
    };
    const model = registryModel(objects, 'models', 1000, () => now);
    expect(await model()).toEqual({ endpointName: 'aiot-dev-detector', threshold: 2.5 });
    now = 500;
    await model();
    expect(reads).toBe(1);
    now = 1500;
    await model();
    expect(reads).toBe(2);
  });
});
