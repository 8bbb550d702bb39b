import Database from 'better-sqlite3';
import type { TelemetryRecord } from '../../../core/ports';
import { anomalyWindow } from '../../../core/workorders';
import { createLocalWorkflows } from '../../../local/workflows';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const NOW = Date.UTC(2026, 10, 24, 0, 0, 0);
const DEVICES = ['pump-1', 'pump-2'];
/** Fault windows in the evaluation part (the last 30 % of 3 days), per device. */
const FAULTS = [NOW - 20 * 60 * MINUTE, NOW - 9 * 60 * MINUTE, NOW - 3 * 60 * MINUTE];
/** Windows operators closed as false alarms. */
const FALSE_ALARMS = [NOW - 12 * 60 * MINUTE, NOW - 6 * 60 * MINUTE];

/** Deterministic noise in [-1, 1]. */
function noise(i: number, k: number): number {
  const x = Math.sin(i * 12.9898 + k * 78.233) * 43758.5453;
  return (x - Math.floor(x)) * 2 - 1;
}

/**
 * A minute-by-minute fleet history over 3 days: steady machines, a bearing fault (vibration and
 * temperature up) in each FAULTS window. With `pump2Offline`, pump-2 sent nothing during the
 * training part: a model trained then knows nothing of it and is still learning pump-2 when the
 * first evaluation fault comes.
 */
function history(pump2Offline: () => boolean) {
  return async (since: number, until: number): Promise<TelemetryRecord[]> => {
    const out: TelemetryRecord[] = [];
    for (const [d, deviceId] of DEVICES.entries()) {
      for (let t = Math.ceil(since / MINUTE) * MINUTE; t < until; t += MINUTE) {
        const i = t / MINUTE;
        const inFault = FAULTS.some((f) => t >= anomalyWindow(f).start && t < anomalyWindow(f).end);
        const trainingPart = t < NOW - 0.3 * 3 * DAY;
        if (pump2Offline() && trainingPart && deviceId === 'pump-2') continue;
        const hot = inFault;
        out.push({
          deviceId,
          site: 'plant-a',
          time: t,
          seq: i,
          measures: {
            vibration_rms: (hot ? 3.2 : 1) + 0.05 * noise(i, d),
            bearing_temp_c: (hot ? 71 : 55) + 0.4 * noise(i, d + 7),
            motor_current_a: 12 + 0.2 * noise(i, d + 13),
            pressure_kpa: 300 + 2 * noise(i, d + 21),
          },
        });
      }
    }
    return out;
  };
}

async function labelOrders(workflows: ReturnType<typeof createLocalWorkflows>) {
  for (const deviceId of DEVICES) {
    for (const ts of [...FAULTS, ...FALSE_ALARMS]) {
      const window = anomalyWindow(ts);
      const { order } = await workflows.workOrders.open(
        { deviceId, site: 'plant-a', severity: 'warning', window, reason: 'test', score: 0.6 },
        ts,
      );
      if (FAULTS.includes(ts))
        await workflows.workOrders.updateStatus(order.id, { status: 'confirmed', at: ts + 1 });
      else
        await workflows.workOrders.updateStatus(order.id, {
          status: 'closed',
          at: ts + 1,
          label: 'false-alarm',
        });
    }
  }
}

function setup() {
  let offline = false;
  const pushed: { warning: number; critical: number }[] = [];
  const workflows = createLocalWorkflows({
    db: new Database(':memory:'),
    publish: () => undefined,
    clock: () => NOW,
    readings: history(() => offline),
    trainingWindowDays: 3,
    pushThresholds: (t) => void pushed.push(t),
  });
  return { workflows, pushed, takePump2Offline: () => (offline = true) };
}

describe('retraining (local run of lib/workflows/retraining.asl.json)', () => {
  it('when a first model beats chance on the labelled windows, it is deployed, recorded and its thresholds reach the edge', async () => {
    const { workflows, pushed } = setup();
    await labelOrders(workflows);
    const run = await workflows.startRetraining().done;

    expect(run).toMatchObject({ status: 'succeeded', outcome: 'deployed' });
    const evaluation = (
      run.output as { evaluation: { candidate: { auc: number; positives: number; negatives: number } } }
    ).evaluation;
    expect(evaluation.candidate.positives).toBe(6);
    expect(evaluation.candidate.negatives).toBeGreaterThanOrEqual(4);
    expect(evaluation.candidate.auc).toBeGreaterThan(0.9);
    expect(run.states).toEqual(
      expect.arrayContaining(['Train', 'CreateModel', 'ScoreCandidate', 'CreateEndpoint']),
    );
    expect(run.states).not.toContain('ScoreCurrent');
    const current = await workflows.currentModel();
    expect(current).toMatchObject({ endpointName: 'aiot-local-detector' });
    expect(workflows.sagemaker.endpoints.get('aiot-local-detector')!.model).toBe(current!.modelName);
    expect(pushed).toHaveLength(1);
    expect(pushed[0]!.critical).toBeGreaterThanOrEqual(pushed[0]!.warning);
    expect(workflows.notifications().map((n) => n.subject)).toEqual([
      '[aiot] retraining: new model deployed',
    ]);
  });

  it('when the candidate is worse than the model in service, nothing is deployed and the edge is untouched', async () => {
    const { workflows, pushed, takePump2Offline } = setup();
    await labelOrders(workflows);
    await workflows.startRetraining().done;
    const before = await workflows.currentModel();
    const endpoint = { ...workflows.sagemaker.endpoints.get('aiot-local-detector')! };

    takePump2Offline();
    const run = await workflows.startRetraining({ windowDays: 3 }).done;

    expect(run).toMatchObject({ status: 'succeeded', outcome: 'kept-current' });
    const { evaluation } = run.output as {
      evaluation: { candidate: { auc: number }; current: { auc: number } };
    };
    expect(evaluation.candidate.auc).toBeLessThan(evaluation.current.auc);
    expect(run.states).toContain('ScoreCurrent');
    expect(run.states).not.toContain('UpdateEndpoint');
    expect(await workflows.currentModel()).toEqual(before);
    expect(workflows.sagemaker.endpoints.get('aiot-local-detector')).toEqual(endpoint);
    expect(pushed).toHaveLength(1);
    expect(workflows.notifications().at(-1)!.subject).toBe('[aiot] retraining: current model kept');
  });

  it('when there are no labelled windows, a first model is not deployed', async () => {
    const { workflows } = setup();
    const run = await workflows.startRetraining().done;

    expect(run.outcome).toBe('kept-current');
    expect(workflows.sagemaker.endpoints.size).toBe(0);
  });

  it('when the store has no readings in the window, the run ends without training', async () => {
    const workflows = createLocalWorkflows({
      db: new Database(':memory:'),
      publish: () => undefined,
      clock: () => NOW,
    });
    const run = await workflows.startRetraining().done;

    expect(run.outcome).toBe('no-data');
    expect(workflows.sagemaker.jobs).toHaveLength(0);
  });

  it('when training fails, the failure is notified and the run ends in RetrainingFailed', async () => {
    const { workflows } = setup();
    workflows.sagemaker.train = async () => {
      throw new Error('capacity error');
    };
    const run = await workflows.startRetraining().done;

    expect(run).toMatchObject({ status: 'failed', error: { error: 'RetrainingFailed' } });
    expect(workflows.notifications().at(-1)!.subject).toBe('[aiot] retraining failed');
    expect(workflows.notifications().at(-1)!.message).toContain('capacity error');
  });
});

describe('the local SageMaker enforces the serverless rules', () => {
  const sagemaker = () =>
    createLocalWorkflows({ db: new Database(':memory:'), publish: async () => {} }).sagemaker;
  const model = (name: string, isolated: boolean) => ({
    ModelName: name,
    EnableNetworkIsolation: isolated,
    PrimaryContainer: { ModelDataUrl: `s3://m/${name}.json` },
  });
  const serverless = (config: string, modelName: string) => ({
    EndpointConfigName: config,
    ProductionVariants: [
      { ModelName: modelName, ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } },
    ],
  });
  const instance = (config: string, modelName: string) => ({
    EndpointConfigName: config,
    ProductionVariants: [{ ModelName: modelName, InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
  });

  it('when a network-isolated model goes into a serverless endpoint configuration, it is refused', async () => {
    const sm = sagemaker();
    await sm.createModel(model('isolated', true));
    await expect(sm.createEndpointConfig(serverless('c1', 'isolated'))).rejects.toThrow(
      /network isolation enabled, which serverless inference does not support/,
    );
    await sm.createModel(model('open', false));
    await expect(sm.createEndpointConfig(serverless('c2', 'open'))).resolves.toEqual({});
  });

  it('when an instance-backed endpoint is updated to a serverless configuration, it is refused (one-way switch)', async () => {
    const sm = sagemaker();
    await sm.createModel(model('m1', true));
    await sm.createEndpointConfig(instance('inst', 'm1'));
    await sm.createEndpoint({ EndpointName: 'e', EndpointConfigName: 'inst' });
    await sm.createModel(model('m2', false));
    await sm.createEndpointConfig(serverless('srv', 'm2'));
    await expect(sm.updateEndpoint({ EndpointName: 'e', EndpointConfigName: 'srv' })).rejects.toThrow(
      /instance-backed and cannot be updated to a serverless configuration/,
    );
  });
});
