import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { type AnomalyEvent, EVENT_SCHEMA_VERSION } from '../../core/events';
import type { TelemetryRecord, TelemetryStore } from '../../core/ports';
import { TELEMETRY_SCHEMA_VERSION, type TelemetryMessage } from '../../core/telemetry';
import { makeAnomalyWorkflowStarter } from '../../lambda/shared/anomaly-workflow-starter';
import { makeCloudScoring } from '../../lambda/shared/cloud-scoring';
import { EndpointScorer } from '../../lambda/shared/endpoint-scorer';
import { makeHandler } from '../../lambda/stream-processor/handler';
import { kinesisRecord, NOW } from '../fixtures/telemetry';

const sm = mockClient(SageMakerRuntimeClient);
const sfn = mockClient(SFNClient);
const MODEL = { endpointName: 'aiot-dev-detector', threshold: 2 };
const T0 = NOW - 3_600_000;

/** A message of `n` readings one second apart from reading `from`, with every measure models use. */
function message(deviceId: string, seq: number, from: number, n = 5): string {
  const m: TelemetryMessage = {
    schema: TELEMETRY_SCHEMA_VERSION,
    deviceId,
    site: 'plant-a',
    seq,
    units: { vibration_rms: 'mm/s', bearing_temp_c: 'degC', motor_current_a: 'A', pressure_kpa: 'kPa' },
    readings: Array.from({ length: n }, (_, i) => ({
      ts: T0 + (from + i) * 1000,
      values: { vibration_rms: 2, bearing_temp_c: 55, motor_current_a: 12, pressure_kpa: 300 },
    })),
  };
  return JSON.stringify(m);
}

/** RCF scores answering each request: `score(deviceRow)` per CSV row, in the order sent. */
function endpointScoring(score: (row: number) => number) {
  sm.on(InvokeEndpointCommand).callsFake((input: { Body: Uint8Array }) => {
    const rows = Buffer.from(input.Body).toString('utf8').trim().split('\n');
    return { Body: Buffer.from(JSON.stringify({ scores: rows.map((_, i) => ({ score: score(i) })) })) };
  });
}

function pipeline() {
  const stored: TelemetryRecord[] = [];
  const events: AnomalyEvent[] = [];
  const store: TelemetryStore = {
    write: async (records) => {
      stored.push(...records);
      return { written: records.length, rejected: [] };
    },
  };
  const handler = makeHandler({
    store,
    quarantine: { put: async () => {} },
    clock: () => NOW,
    onBatch: makeCloudScoring({
      scorer: new EndpointScorer({ client: new SageMakerRuntimeClient({}), model: async () => MODEL }),
      events: { putAnomalies: async (e) => void events.push(...e) },
      startResponse: makeAnomalyWorkflowStarter({
        client: new SFNClient({}),
        stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:aiot-dev-anomaly-response',
      }),
    }),
  });
  return { handler, stored, events };
}

beforeEach(() => {
  sm.reset();
  sfn.reset();
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:exec' });
});

describe('stream-processor with cloud scoring', () => {
  it('when a batch carries many messages of several devices, SageMaker is called once for all their readings', async () => {
    endpointScoring(() => 1);
    const { handler, stored } = pipeline();
    const res = await handler({
      Records: [
        kinesisRecord(message('AIOT-0000000A', 1, 0), 0, 'AIOT-0000000A'),
        kinesisRecord(message('AIOT-0000000B', 1, 0), 1, 'AIOT-0000000B'),
        kinesisRecord(message('AIOT-0000000A', 2, 5), 2, 'AIOT-0000000A'),
        kinesisRecord(message('AIOT-0000000B', 2, 5), 3, 'AIOT-0000000B'),
      ],
    });
    expect(res.batchItemFailures).toEqual([]);
    expect(stored).toHaveLength(20);
    expect(sm).toHaveReceivedCommandTimes(InvokeEndpointCommand, 1);
    const body = Buffer.from(sm.commandCalls(InvokeEndpointCommand)[0]!.args[0].input.Body as Uint8Array);
    expect(body.toString('utf8').trim().split('\n')).toHaveLength(20);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('when a device stays anomalous over many batches, one workflow starts, at the episode opening', async () => {
    endpointScoring(() => 3.9); // twice the threshold and a bit less: critical on the detector scale
    const { handler, events } = pipeline();
    for (let b = 0; b < 12; b++) {
      await handler({ Records: [kinesisRecord(message('AIOT-0000000A', b + 1, b * 5), b, 'AIOT-0000000A')] });
    }
    expect(sm).toHaveReceivedCommandTimes(InvokeEndpointCommand, 12);
    expect(events).toHaveLength(1);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      name: `AIOT-0000000A-${Math.floor(T0 / 900_000) * 900_000}`,
    });
  });

  it('when scoring fails (state unreadable), the whole batch fails so Lambda retries it', async () => {
    const handler = makeHandler({
      store: { write: async (r) => ({ written: r.length, rejected: [] }) },
      quarantine: { put: async () => {} },
      clock: () => NOW,
      onBatch: makeCloudScoring({
        scorer: new EndpointScorer({
          client: new SageMakerRuntimeClient({}),
          model: async () => MODEL,
          states: {
            getMany: async () => {
              throw new Error('table unreachable');
            },
            putMany: async () => ({ saved: 0, refused: [] }),
          },
        }),
        events: { putAnomalies: async () => {} },
        startResponse: () => {},
      }),
    });
    await expect(
      handler({ Records: [kinesisRecord(message('AIOT-0000000A', 1, 0), 0, 'AIOT-0000000A')] }),
    ).rejects.toThrow('table unreachable');
    expect(sm).not.toHaveReceivedCommand(InvokeEndpointCommand);
  });
});

describe('cloud scoring: which episode events start the response workflow', () => {
  it('when an episode opens as a warning and escalates to critical, both start a run (the escalation its own)', async () => {
    sfn.reset();
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x' });
    const event = (ts: number, severity: 'warning' | 'critical', score: number): AnomalyEvent => ({
      schema: EVENT_SCHEMA_VERSION,
      kind: 'anomaly',
      deviceId: 'AIOT-0000000A',
      site: 'plant-a',
      ts,
      score,
      severity,
      measures: { vibration_rms: 2 },
      source: 'cloud',
      episodeStart: T0,
    });
    const opening = event(T0, 'warning', 0.6);
    const escalation = event(T0 + 60_000, 'critical', 0.95);
    const scoring = makeCloudScoring({
      scorer: { score: async () => ({ anomalies: [opening, escalation] }) as never },
      events: { putAnomalies: async () => {} },
      startResponse: makeAnomalyWorkflowStarter({
        client: new SFNClient({}),
        stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:x',
      }),
    });
    const m = JSON.parse(message('AIOT-0000000A', 1, 0, 1)) as TelemetryMessage;
    await scoring([{ status: 'stored', message: m, stored: 1, rejected: 0 }]);

    const window = Math.floor(T0 / 900_000) * 900_000;
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toEqual([
      `AIOT-0000000A-${window}`,
      `AIOT-0000000A-${window}-critical`,
    ]);
  });
});
