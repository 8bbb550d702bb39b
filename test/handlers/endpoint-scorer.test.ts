import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import type { TelemetryRecord } from '../../core/ports';
import {
  EndpointScorer,
  parseRcfResponse,
  rcfToUnit,
  registryModel,
  toAnomalyEvents,
} from '../../lambda/shared/endpoint-scorer';

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
    const events = toAnomalyEvents(batch);

    expect(batch.scorer).toBe('detector');
    expect(events).toEqual([
      expect.objectContaining({
        deviceId: 'pump-7',
        source: 'cloud-detector',
        severity: expect.stringMatching(/warning|critical/),
      }),
    ]);
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
