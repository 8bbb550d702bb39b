import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GreengrassV2Client,
  ListDeploymentsCommand,
} from '@aws-sdk/client-greengrassv2';
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { TimestreamQueryClient, QueryCommand as TsQueryCommand } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import Database from 'better-sqlite3';
import { COMMAND_SCHEMA_VERSION } from '../../core/commands';
import { type AnomalyEvent, EVENT_SCHEMA_VERSION } from '../../core/events';
import { newWorkOrder, type OpenWorkOrder } from '../../core/workorders';
import { makeAnomalyWorkflowStarter } from '../../lambda/shared/anomaly-workflow-starter';
import { DynamoDbWorkOrderStore } from '../../lambda/shared/dynamodb-work-orders';
import {
  featureWindows,
  runUnload,
  TimestreamHistoryReader,
  unloadStatement,
} from '../../lambda/shared/timestream-history';
import { TimestreamPredictionStore } from '../../lambda/shared/timestream-predictions';
import { makeHandler as makeCommandAck } from '../../lambda/workflow-tasks/command-ack/handler';
import { makeHandler as makeCommandDevice } from '../../lambda/workflow-tasks/command-device/handler';
import { makeHandler as makeUpdateEdge } from '../../lambda/workflow-tasks/update-edge/handler';
import { makeHandler as makeWorkOrders } from '../../lambda/workflow-tasks/work-orders/handler';
import { SqliteWorkOrderStore } from '../../local/workflows/sqlite-work-orders';

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const iotData = mockClient(IoTDataPlaneClient);
const timestream = mockClient(TimestreamQueryClient);

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  iotData.reset();
  timestream.reset();
});

const opening = (): OpenWorkOrder => ({
  deviceId: 'pump-7',
  site: 'plant-a',
  severity: 'critical',
  window: { start: T0, end: T0 + 900_000 },
  reason: 'score 0.93',
  score: 0.93,
});

const anomaly = (): AnomalyEvent => ({
  schema: EVENT_SCHEMA_VERSION,
  kind: 'anomaly',
  deviceId: 'pump-7',
  site: 'plant-a',
  ts: T0 + 1234,
  score: 0.9,
  severity: 'critical',
  measures: { vibration_rms: 4 },
  source: 'edge',
});

/** Listing, idempotent opening and transitions are proven by the WorkOrderStore contract (test/contracts). */
describe('DynamoDbWorkOrderStore', () => {
  const store = () =>
    new DynamoDbWorkOrderStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'orders');

  it('when an order is opened, it is a put conditioned on the id not existing', async () => {
    ddb.on(PutCommand).resolves({});
    const { created, order } = await store().open(opening(), T0 + 5);

    expect(created).toBe(true);
    expect(order).toMatchObject({ id: `wo-pump-7-${T0}`, status: 'open', openedAt: T0 + 5 });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'orders',
      ConditionExpression: 'attribute_not_exists(id)',
      Item: expect.objectContaining({ id: `wo-pump-7-${T0}` }),
    });
  });

  it('when the order already exists, opening returns it unchanged instead of failing', async () => {
    const existing = { ...newWorkOrder(opening(), T0), status: 'acknowledged' as const };
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    ddb.on(GetCommand).resolves({ Item: existing });
    const { created, order } = await store().open(opening(), T0 + 99);

    expect(created).toBe(false);
    expect(order.status).toBe('acknowledged');
  });

  it('when the status changes, the put is conditioned on the status and time it was read with', async () => {
    ddb.on(GetCommand).resolves({ Item: newWorkOrder(opening(), T0) });
    ddb.on(PutCommand).resolves({});
    const next = await store().updateStatus(`wo-pump-7-${T0}`, {
      status: 'escalated',
      at: T0 + 60_000,
      note: 'no ack',
    });

    expect(next).toMatchObject({ status: 'escalated', updatedAt: T0 + 60_000, note: 'no ack' });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      ConditionExpression: '#s = :from AND updatedAt = :at',
      ExpressionAttributeValues: { ':from': 'open', ':at': T0 },
    });
  });
});

describe('DynamoDbWorkOrderStore.raiseSeverity', () => {
  const store = () =>
    new DynamoDbWorkOrderStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'orders');
  const warning = () => newWorkOrder({ ...opening(), severity: 'warning' }, T0);

  it('when a warning order is raised, it is one UpdateItem conditioned on the severity, status and time read', async () => {
    ddb.on(GetCommand).resolves({ Item: warning() });
    ddb.on(UpdateCommand).resolves({});
    const out = await store().raiseSeverity(`wo-pump-7-${T0}`, {
      severity: 'critical',
      at: T0 + 60_000,
      note: 'up',
    });

    expect(out).toEqual({
      raised: true,
      order: { ...warning(), severity: 'critical', updatedAt: T0 + 60_000, note: 'up' },
    });
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 0);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'orders',
      Key: { id: `wo-pump-7-${T0}` },
      UpdateExpression: 'SET #sev = :to, updatedAt = :now, #n = :note',
      ConditionExpression: '#sev = :from AND #s = :status AND updatedAt = :at',
      ExpressionAttributeNames: { '#sev': 'severity', '#s': 'status', '#n': 'note' },
      ExpressionAttributeValues: {
        ':to': 'critical',
        ':now': T0 + 60_000,
        ':from': 'warning',
        ':status': 'open',
        ':at': T0,
        ':note': 'up',
      },
    });
  });

  it('when a concurrent writer wins the race, the order is read again and, now critical, left alone', async () => {
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: warning() })
      .resolves({ Item: { ...warning(), severity: 'critical', updatedAt: T0 + 1 } });
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'changed', $metadata: {} }));
    const out = await store().raiseSeverity(`wo-pump-7-${T0}`, { severity: 'critical', at: T0 + 60_000 });

    expect(out).toMatchObject({ raised: false, order: { severity: 'critical', updatedAt: T0 + 1 } });
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });

  it('when the order is closed or missing, no update is sent', async () => {
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: { ...warning(), status: 'closed' } })
      .resolves({});
    await expect(
      store().raiseSeverity(`wo-pump-7-${T0}`, { severity: 'critical', at: T0 + 1 }),
    ).resolves.toMatchObject({
      raised: false,
      order: { status: 'closed', severity: 'warning' },
    });
    await expect(store().raiseSeverity('wo-nobody-1', { severity: 'critical', at: T0 + 1 })).rejects.toThrow(
      'no work order wo-nobody-1',
    );
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 0);
  });

  it('when DynamoDB fails otherwise, the error propagates (the workflow step retries)', async () => {
    ddb.on(GetCommand).resolves({ Item: warning() });
    ddb.on(UpdateCommand).rejects(new Error('throttled'));
    await expect(
      store().raiseSeverity(`wo-pump-7-${T0}`, { severity: 'critical', at: T0 + 1 }),
    ).rejects.toThrow('throttled');
  });
});

describe('work-orders task on DynamoDB: an escalation run', () => {
  it('when the open finds the warning order, the task raises it and reports raised (not a duplicate)', async () => {
    const existing = newWorkOrder({ ...opening(), severity: 'warning' }, T0);
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    ddb.on(GetCommand).resolves({ Item: existing });
    ddb.on(UpdateCommand).resolves({});
    const handler = makeWorkOrders({
      store: new DynamoDbWorkOrderStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'orders'),
      clock: () => T0 + 90_000,
    });
    const escalation = { ...anomaly(), ts: T0 + 90_000, episodeStart: T0 + 1234 };
    const out = await handler({
      action: 'open',
      input: {
        event: escalation,
        window: { start: T0, end: T0 + 900_000 },
        workOrderId: `wo-pump-7-${T0}`,
        ackPolicy: { pollSeconds: 30, maxPolls: 10 },
      },
      severity: 'critical',
      reason: 'escalated',
    });

    expect(out).toEqual({
      action: 'open',
      created: false,
      raised: true,
      id: `wo-pump-7-${T0}`,
      status: 'open',
    });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':to': 'critical', ':from': 'warning' }),
    });
  });
});

describe('anomaly workflow starter', () => {
  const start = () =>
    makeAnomalyWorkflowStarter({
      client: new SFNClient({}),
      stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:x',
    });

  it('when an anomaly arrives, the execution is named by device and window and carries the input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x' });
    const out = await start()(anomaly());

    expect(out).toEqual({ name: `pump-7-${T0}`, started: true });
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!);
    expect(input).toMatchObject({ workOrderId: `wo-pump-7-${T0}`, window: { start: T0, end: T0 + 900_000 } });
  });

  it('when the execution already exists, the duplicate is reported as not started rather than an error', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    await expect(start()(anomaly())).resolves.toEqual({ name: `pump-7-${T0}`, started: false });
  });

  it('when an episode escalates to critical, its run is named as the opening + -critical, once', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: 'arn:x' })
      .rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const escalation = { ...anomaly(), ts: T0 + 90_000, episodeStart: T0 + 1234 };
    await expect(start()(escalation)).resolves.toEqual({ name: `pump-7-${T0}-critical`, started: true });
    await expect(start()({ ...escalation, ts: T0 + 95_000 })).resolves.toEqual({
      name: `pump-7-${T0}-critical`,
      started: false,
    });
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!);
    expect(input).toMatchObject({ workOrderId: `wo-pump-7-${T0}`, event: { severity: 'critical' } });
  });

  it('when the device id is as long as allowed, the escalation name still fits 80 characters and keeps the window', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x' });
    const deviceId = 'd'.repeat(128);
    const opened = await start()({ ...anomaly(), deviceId, episodeStart: T0 + 1234 });
    const escalated = await start()({ ...anomaly(), deviceId, ts: T0 + 90_000, episodeStart: T0 + 1234 });
    expect(opened.name.length).toBeLessThanOrEqual(80);
    expect(escalated.name.length).toBeLessThanOrEqual(80);
    expect(escalated.name).toMatch(new RegExp(`-${T0}-critical$`));
    expect(escalated.name).not.toBe(opened.name);
  });

  it('when Step Functions fails otherwise, the error propagates so the event is retried', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('throttled'));
    await expect(start()(anomaly())).rejects.toThrow('throttled');
  });
});

describe('command-device task', () => {
  it('when invoked, publishes the safe-mode command on the device command topic at QoS 1', async () => {
    iotData.on(PublishCommand).resolves({});
    const handler = makeCommandDevice({ client: async () => new IoTDataPlaneClient({}), clock: () => T0 });
    const out = await handler({ site: 'plant-a', deviceId: 'pump-7', workOrderId: `wo-pump-7-${T0}` });

    expect(out).toEqual({ topic: 'cmd/aiot/plant-a/pump-7/safe-mode', commandId: `wo-pump-7-${T0}` });
    const sent = iotData.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(sent).toMatchObject({ topic: 'cmd/aiot/plant-a/pump-7/safe-mode', qos: 1 });
    expect(JSON.parse(Buffer.from(sent.payload as Uint8Array).toString('utf8'))).toEqual({
      schema: 'aiot.command/1',
      commandId: `wo-pump-7-${T0}`,
      issuedAt: T0,
      params: {},
    });
  });

  it('when the input lacks the device, fails without publishing', async () => {
    const handler = makeCommandDevice({ client: async () => new IoTDataPlaneClient({}) });
    await expect(handler({ site: 'plant-a', workOrderId: 'wo-x-1' })).rejects.toThrow();
    expect(iotData).not.toHaveReceivedCommand(PublishCommand);
  });
});

/** What it reads is proven by the HistoryReader contract (test/contracts); the guard stays here. */
describe('TimestreamHistoryReader', () => {
  it('when the device id would break out of the query text, refuses it before querying', async () => {
    const reader = new TimestreamHistoryReader(new TimestreamQueryClient({}), 'db', 'telemetry');
    await expect(reader.recent("x' OR '1'='1", 0, 1)).rejects.toThrow('invalid device id');
    expect(timestream).not.toHaveReceivedCommand(TsQueryCommand);
  });
});

describe('update-edge task', () => {
  const gg = mockClient(GreengrassV2Client);
  const ssm = mockClient(SSMClient);
  const order: string[] = [];
  beforeEach(() => {
    gg.reset();
    ssm.reset();
    order.length = 0;
    ssm.on(PutParameterCommand).callsFake(async () => {
      order.push('put-parameter');
      return {};
    });
  });
  const target = 'arn:aws:iot:us-east-1:1:thinggroup/aiot-dev-edge-cores';
  const handler = () =>
    makeUpdateEdge({
      client: new GreengrassV2Client({}),
      targetArn: target,
      componentName: 'com.aiot.AnomalyDetector',
      ssm: new SSMClient({}),
      thresholdsParameter: '/aiot-dev/edge/detector-severity',
    });

  it("when thresholds arrive, records them for the stack's deployment before revising the edge, so a later stack update keeps them", async () => {
    gg.on(ListDeploymentsCommand).resolves({ deployments: [{ deploymentId: 'd-1' }] });
    gg.on(GetDeploymentCommand).resolves({
      deploymentName: 'aiot-dev-edge',
      components: { 'com.aiot.AnomalyDetector': { componentVersion: '1.0.3' } },
    });
    gg.on(CreateDeploymentCommand).callsFake(async () => {
      order.push('create-deployment');
      return { deploymentId: 'd-2' };
    });
    await handler()({ thresholds: { warning: 0.9, critical: 0.97 }, runId: 'r1' });
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: '/aiot-dev/edge/detector-severity',
      Value: JSON.stringify({ warning: 0.9, critical: 0.97 }),
      Overwrite: true,
    });
    expect(order).toEqual(['put-parameter', 'create-deployment']);
  });

  it('when thresholds arrive, revises the latest deployment, merging them and keeping the rest', async () => {
    gg.on(ListDeploymentsCommand).resolves({ deployments: [{ deploymentId: 'd-1' }] });
    gg.on(GetDeploymentCommand).resolves({
      deploymentName: 'aiot-dev-edge',
      components: {
        'com.aiot.AnomalyDetector': {
          componentVersion: '1.0.3',
          configurationUpdate: {
            merge: JSON.stringify({ eventMinSeverity: 'critical', detector: { bins: 10 } }),
          },
        },
        'aws.greengrass.Nucleus': { componentVersion: '2.14.0' },
      },
      deploymentPolicies: { failureHandlingPolicy: 'ROLLBACK' },
    });
    gg.on(CreateDeploymentCommand).resolves({ deploymentId: 'd-2' });
    const out = await handler()({ thresholds: { warning: 0.9, critical: 0.97 }, runId: 'r1' });

    expect(out).toEqual({ status: 'deployed', deploymentId: 'd-2', revisedFrom: 'd-1' });
    const sent = gg.commandCalls(CreateDeploymentCommand)[0]!.args[0].input;
    expect(sent).toMatchObject({
      targetArn: target,
      deploymentName: 'aiot-dev-edge',
      deploymentPolicies: { failureHandlingPolicy: 'ROLLBACK' },
    });
    expect(sent.components!['aws.greengrass.Nucleus']).toEqual({ componentVersion: '2.14.0' });
    expect(sent.components!['com.aiot.AnomalyDetector']!.componentVersion).toBe('1.0.3');
    expect(JSON.parse(sent.components!['com.aiot.AnomalyDetector']!.configurationUpdate!.merge!)).toEqual({
      eventMinSeverity: 'critical',
      detector: { bins: 10, severity: { warning: 0.9, critical: 0.97 } },
    });
  });

  it('when the group has no deployment yet, skips without creating one', async () => {
    gg.on(ListDeploymentsCommand).resolves({ deployments: [] });
    const out = await handler()({ thresholds: { warning: 0.9, critical: 0.97 }, runId: 'r1' });
    expect(out.status).toBe('skipped');
    expect(gg).not.toHaveReceivedCommand(CreateDeploymentCommand);
  });

  it('when critical is below warning, refuses before touching the edge', async () => {
    await expect(handler()({ thresholds: { warning: 0.9, critical: 0.5 }, runId: 'r1' })).rejects.toThrow(
      'critical must not be below warning',
    );
    expect(gg).not.toHaveReceivedCommand(ListDeploymentsCommand);
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand);
  });
});

describe('Timestream UNLOAD of training data', () => {
  it('when built, selects the training measures of the window, present only, to encrypted headerless CSV', () => {
    const sql = unloadStatement({
      database: 'aiot',
      table: 'telemetry',
      measures: ['vibration_rms', 'bearing_temp_c'],
      sinceMs: 1000,
      untilMs: 2000,
      s3Uri: 's3://bucket/runs/r1/train/',
      kmsKeyArn: 'arn:aws:kms:us-east-1:1:key/k',
    });
    expect(sql).toBe(
      'UNLOAD(SELECT vibration_rms, bearing_temp_c FROM "aiot"."telemetry" WHERE time >= from_milliseconds(1000) ' +
        'AND time < from_milliseconds(2000) AND vibration_rms IS NOT NULL AND bearing_temp_c IS NOT NULL ORDER BY time) ' +
        "TO 's3://bucket/runs/r1/train/' WITH (format = 'CSV', include_header = 'false', compression = 'NONE', " +
        "encryption = 'SSE_KMS', kms_key = 'arn:aws:kms:us-east-1:1:key/k')",
    );
  });

  it('when the target would break out of the statement, refuses it', () => {
    expect(() =>
      unloadStatement({
        database: 'a',
        table: 't',
        measures: ['x'],
        sinceMs: 0,
        untilMs: 1,
        s3Uri: "s3://b/x') --",
        kmsKeyArn: 'k',
      }),
    ).toThrow('invalid UNLOAD target');
  });

  it('when run, returns the rows UNLOAD reports', async () => {
    timestream.on(TsQueryCommand).resolves({
      ColumnInfo: [
        { Name: 'rows', Type: {} },
        { Name: 'metadataFile', Type: {} },
        { Name: 'manifestFile', Type: {} },
      ],
      Rows: [{ Data: [{ ScalarValue: '1234' }, { ScalarValue: 's3://m' }, { ScalarValue: 's3://f' }] }],
    });
    await expect(runUnload(new TimestreamQueryClient({}), 'UNLOAD(...)')).resolves.toBe(1234);
  });
});

describe('failure predictions in Timestream', () => {
  const write = mockClient(TimestreamWriteClient);
  beforeEach(() => write.reset());

  it('when predictions are stored, they go to the events table as measure "prediction" beside the anomalies', async () => {
    write.on(WriteRecordsCommand).resolves({});
    await new TimestreamPredictionStore(new TimestreamWriteClient({}), 'aiot', 'events').putPredictions([
      {
        schema: 'aiot.prediction/1',
        kind: 'prediction',
        deviceId: 'pump-1',
        site: 'plant-a',
        ts: T0,
        probability: 0.87,
        horizonMs: 21_600_000,
        model: 'aiot-dev-xgb-1',
      },
    ]);
    expect(write).toHaveReceivedCommandWith(WriteRecordsCommand, {
      DatabaseName: 'aiot',
      TableName: 'events',
      Records: [
        expect.objectContaining({
          MeasureName: 'prediction',
          Time: String(T0),
          MeasureValues: [
            { Name: 'probability', Value: '0.87', Type: 'DOUBLE' },
            { Name: 'horizonMs', Value: '21600000', Type: 'BIGINT' },
          ],
        }),
      ],
    });
  });

  it('when Timestream aggregates feature windows, rows become windows and incomplete ones are dropped', async () => {
    timestream.on(TsQueryCommand).resolves({
      Rows: [
        {
          Data: [
            { ScalarValue: 'pump-1' },
            { ScalarValue: 'plant-a' },
            { ScalarValue: String(T0) },
            ...[1, 0.1, 0.9, 1.2].map((v) => ({ ScalarValue: String(v) })),
          ],
        },
        {
          Data: [
            { ScalarValue: 'pump-2' },
            { ScalarValue: 'plant-a' },
            { ScalarValue: String(T0) },
            { NullValue: true },
            { ScalarValue: '0' },
            { ScalarValue: '1' },
            { ScalarValue: '1' },
          ],
        },
      ],
    });
    const windows = await featureWindows(new TimestreamQueryClient({}), {
      database: 'aiot',
      table: 'telemetry',
      measures: ['vibration_rms'],
      sinceMs: T0,
      untilMs: T0 + 3_600_000,
    });
    expect(windows).toEqual([
      { deviceId: 'pump-1', site: 'plant-a', start: T0, features: [1, 0.1, 0.9, 1.2] },
    ]);
    const sql = timestream.commandCalls(TsQueryCommand)[0]!.args[0].input.QueryString!;
    expect(sql).toContain(
      'avg(vibration_rms), stddev_pop(vibration_rms), min(vibration_rms), max(vibration_rms)',
    );
    expect(sql).toContain('GROUP BY deviceId, site, bin(time, 60m)');
  });
});

describe('command-ack task', () => {
  const T = Date.UTC(2026, 0, 15, 9);
  const open = async (store: SqliteWorkOrderStore) =>
    (
      await store.open(
        {
          deviceId: 'pump-7',
          site: 'plant-a',
          severity: 'critical',
          window: { start: T, end: T + 900_000 },
          reason: 'test',
          score: 0.99,
          execution: 'exec-1',
        },
        T,
      )
    ).order;

  it('when the rule hands over a device ok for its own order, the order is acknowledged; an answer for another device is ignored', async () => {
    const store = new SqliteWorkOrderStore(new Database(':memory:'));
    const order = await open(store);
    const warnings: unknown[] = [];
    const handler = makeCommandAck({
      store,
      clock: () => T + 5000,
      logger: { info: () => {}, warn: (...a: unknown[]) => void warnings.push(a) },
    });
    const answer = { schema: COMMAND_SCHEMA_VERSION, commandId: order.id, status: 'ok', at: T + 4000 };

    await handler({ ...answer, topic: 'cmd/aiot/plant-a/pump-8/safe-mode/res' });
    expect((await store.get(order.id))!.status).toBe('open');
    expect(warnings).toHaveLength(1);

    await handler({ ...answer, topic: 'cmd/aiot/plant-a/pump-7/safe-mode/res' });
    expect((await store.get(order.id))!.status).toBe('acknowledged');
  });
});
