import Database from 'better-sqlite3';
import { type AnomalyEvent, EVENT_SCHEMA_VERSION } from '../../../core/events';
import type { TelemetryRecord } from '../../../core/ports';
import { createLocalWorkflows, type LocalWorkflowsOptions } from '../../../local/workflows';

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

function anomaly(over: Partial<AnomalyEvent> = {}): AnomalyEvent {
  return {
    schema: EVENT_SCHEMA_VERSION,
    kind: 'anomaly',
    deviceId: 'pump-7',
    site: 'plant-a',
    ts: T0 + 1000,
    score: 0.93,
    severity: 'critical',
    measures: { vibration_rms: 4.2 },
    source: 'edge',
    ...over,
  };
}

interface Published {
  topic: string;
  payload: string;
}

function setup(over: Partial<LocalWorkflowsOptions> = {}) {
  const db = new Database(':memory:');
  const published: Published[] = [];
  const workflows = createLocalWorkflows({
    db,
    publish: (topic, payload) => {
      published.push({ topic, payload });
    },
    clock: () => T0 + 5000,
    ackPolicy: { pollSeconds: 30, maxPolls: 3 },
    ackPollMs: 5,
    ...over,
  });
  return { db, published, workflows };
}

describe('anomaly-response (local run of lib/workflows/anomaly-response.asl.json)', () => {
  it('when a critical device acknowledges safe mode, the order is acknowledged and nothing escalates', async () => {
    const { workflows, published } = setup({
      publish: async (topic, payload) => {
        published.push({ topic, payload });
        // The device answers its command as the device agent does, here before the publish
        // returns: the first poll then finds the answer, whatever the machine's load.
        const cmd = JSON.parse(payload) as { commandId: string; schema: string };
        await workflows.handleCommandResponse(
          `${topic}/res`,
          JSON.stringify({ schema: cmd.schema, commandId: cmd.commandId, status: 'ok', at: T0 + 6000 }),
        );
      },
    });
    const { run, done } = workflows.startAnomalyResponse(anomaly());
    expect(run.status).toBe('running');
    const summary = await done;

    expect(summary).toMatchObject({ status: 'succeeded', outcome: 'acknowledged' });
    expect(published).toHaveLength(1);
    expect(published[0]!.topic).toBe('cmd/aiot/plant-a/pump-7/safe-mode');
    const command = JSON.parse(published[0]!.payload);
    expect(command).toMatchObject({ schema: 'aiot.command/1', commandId: `wo-pump-7-${T0}` });
    const order = await workflows.workOrders.get(command.commandId);
    expect(order).toMatchObject({ status: 'acknowledged', severity: 'critical', deviceId: 'pump-7' });
    expect(order!.execution).toBe(summary.id);
    expect(workflows.notifications()).toHaveLength(1);
    expect(workflows.notifications()[0]!.subject).toContain('critical anomaly on pump-7');
    expect(summary.states).toEqual(
      expect.arrayContaining([
        'Enrich',
        'Classify',
        'OpenWorkOrder',
        'CommandSafeMode',
        'Notify',
        'CheckAck',
      ]),
    );
    expect(summary.states).not.toContain('Escalate');
    expect(summary.states.filter((s) => s === 'CheckAck')).toHaveLength(1);
  });

  it('when a storm of duplicates arrives for one device and window, one run opens one work order', async () => {
    const { workflows, published } = setup({ ackPolicy: { pollSeconds: 30, maxPolls: 1 } });
    const starts = Array.from({ length: 20 }, (_, i) =>
      workflows.startAnomalyResponse(anomaly({ ts: T0 + 1000 + i * 100 })),
    );
    expect(starts.filter((s) => s.started)).toHaveLength(1);
    await workflows.idle();

    const orders = await workflows.workOrders.list();
    expect(orders.items).toHaveLength(1);
    expect(published).toHaveLength(1);
    expect(workflows.runs()).toHaveLength(1);
  });

  it('when two runs of the same window still race (duplicate in a later run), the second finds the order and stops', async () => {
    const first = setup({ ackPolicy: { pollSeconds: 30, maxPolls: 1 } });
    await first.workflows.startAnomalyResponse(anomaly()).done;
    // A second runtime over the same database: its name map is empty, the store is not.
    const second = createLocalWorkflows({ db: first.db, publish: () => undefined, clock: () => T0 + 9000 });
    const summary = await second.startAnomalyResponse(anomaly({ ts: T0 + 2000 })).done;

    expect(summary).toMatchObject({ status: 'succeeded', outcome: 'duplicate' });
    expect((await second.workOrders.list()).items).toHaveLength(1);
  });

  it('when the device never acknowledges, the order is escalated and the escalation notified', async () => {
    const { workflows, published } = setup();
    const summary = await workflows.startAnomalyResponse(anomaly()).done;

    expect(summary).toMatchObject({ status: 'succeeded', outcome: 'escalated' });
    expect(summary.states.filter((s) => s === 'CheckAck')).toHaveLength(3);
    expect(published).toHaveLength(1);
    const [order] = (await workflows.workOrders.list({ status: 'escalated' })).items;
    expect(order).toMatchObject({ deviceId: 'pump-7', status: 'escalated' });
    expect(workflows.notifications().map((n) => n.subject)).toEqual([
      expect.stringContaining('critical anomaly'),
      expect.stringContaining('ESCALATED: pump-7'),
    ]);
  });

  it('when the device id is as long as the contract allows, both alerts still fit SNS subjects', async () => {
    const { workflows } = setup();
    const summary = await workflows.startAnomalyResponse(anomaly({ deviceId: 'd'.repeat(128) })).done;

    expect(summary.outcome).toBe('escalated');
    expect(workflows.notifications()).toHaveLength(2);
    for (const n of workflows.notifications()) expect(n.subject.length).toBeLessThanOrEqual(100);
  });

  it('when the command cannot be published, the operator is still notified and the order escalates', async () => {
    const { workflows } = setup({
      publish: () => {
        throw new Error('broker down');
      },
    });
    const summary = await workflows.startAnomalyResponse(anomaly()).done;

    expect(summary).toMatchObject({ status: 'succeeded', outcome: 'escalated' });
    expect((summary.output as { commandError: { Cause: string } }).commandError.Cause).toContain(
      'broker down',
    );
  });

  it('when a warning arrives, a work order opens and waits for an operator without commanding the device', async () => {
    const { workflows, published } = setup();
    const summary = await workflows.startAnomalyResponse(anomaly({ severity: 'warning', score: 0.55 })).done;

    expect(summary).toMatchObject({ status: 'succeeded', outcome: 'work-order-open' });
    expect(published).toHaveLength(0);
    expect((await workflows.workOrders.list({ status: 'open' })).items).toHaveLength(1);
  });

  it('when a warning is far outside the last hour of readings, it is raised to critical', async () => {
    const history: TelemetryRecord[] = Array.from({ length: 60 }, (_, i) => ({
      deviceId: 'pump-7',
      site: 'plant-a',
      time: T0 - 60_000 * (60 - i),
      seq: i,
      measures: { vibration_rms: 1 + (i % 5) * 0.01 },
    }));
    const { workflows, published } = setup({
      history: { recent: async () => history },
      ackPolicy: { pollSeconds: 30, maxPolls: 1 },
    });
    const summary = await workflows.startAnomalyResponse(anomaly({ severity: 'warning', score: 0.55 })).done;

    expect(published).toHaveLength(1);
    expect(summary.outcome).toBe('escalated');
    const [order] = (await workflows.workOrders.list()).items;
    expect(order!.reason).toContain("outside the last hour's range: vibration_rms");
  });

  it('when the history store fails, the anomaly is classified on the event alone', async () => {
    const { workflows } = setup({
      history: {
        recent: async () => {
          throw new Error('store unreachable');
        },
      },
      ackPolicy: { pollSeconds: 30, maxPolls: 1 },
    });
    const summary = await workflows.startAnomalyResponse(anomaly()).done;

    expect(summary.states).toContain('EnrichmentUnavailable');
    expect(summary.outcome).toBe('escalated');
    const [order] = (await workflows.workOrders.list()).items;
    expect(order!.reason).toContain('history unavailable');
  });

  it('when the work-order store fails, the run ends in WorkOrderFailed and nothing is commanded', async () => {
    const db = new Database(':memory:');
    const published: Published[] = [];
    const workflows = createLocalWorkflows({
      db,
      publish: (topic, payload) => void published.push({ topic, payload }),
    });
    db.exec('DROP TABLE work_orders');
    const summary = await workflows.startAnomalyResponse(anomaly()).done;

    expect(summary).toMatchObject({ status: 'failed', error: { error: 'WorkOrderFailed' } });
    expect(published).toHaveLength(0);
  });

  it('when an informational anomaly arrives, it is recorded only', async () => {
    const { workflows } = setup();
    const summary = await workflows.startAnomalyResponse(anomaly({ severity: 'info', score: 0.2 })).done;

    expect(summary.outcome).toBe('recorded');
    expect((await workflows.workOrders.list()).items).toHaveLength(0);
    expect(workflows.notifications()).toHaveLength(0);
  });
});

describe('anomaly-response: an episode that opens as a warning and escalates to critical', () => {
  const OPENED = T0 + 1000;
  const opening = () => anomaly({ severity: 'warning', score: 0.55, ts: OPENED, episodeStart: OPENED });
  const escalation = (ts = OPENED + 90_000) =>
    anomaly({ severity: 'critical', score: 0.96, ts, episodeStart: OPENED });

  /** A device that answers its safe-mode command before the publish returns, as the agent does. */
  function answeringDevice() {
    const published: Published[] = [];
    const ctx = setup({
      publish: async (topic, payload) => {
        published.push({ topic, payload });
        const cmd = JSON.parse(payload) as { commandId: string; schema: string };
        await ctx.workflows.handleCommandResponse(
          `${topic}/res`,
          JSON.stringify({ schema: cmd.schema, commandId: cmd.commandId, status: 'ok', at: T0 + 6000 }),
        );
      },
    });
    return { ...ctx, published };
  }

  it('when the episode escalates, its own run raises the warning order to critical, commands safe mode and handles the ack', async () => {
    const { workflows, published } = answeringDevice();
    const first = await workflows.startAnomalyResponse(opening()).done;
    expect(first).toMatchObject({ status: 'succeeded', outcome: 'work-order-open', name: `pump-7-${T0}` });
    expect(published).toHaveLength(0);
    const id = `wo-pump-7-${T0}`;
    expect(await workflows.workOrders.get(id)).toMatchObject({ severity: 'warning', status: 'open' });

    const start = workflows.startAnomalyResponse(escalation());
    expect(start.started).toBe(true);
    const second = await start.done;
    expect(second).toMatchObject({
      status: 'succeeded',
      outcome: 'acknowledged',
      name: `pump-7-${T0}-critical`,
    });
    expect(second.states).toEqual(
      expect.arrayContaining(['OpenWorkOrder', 'AlreadyHandled', 'CommandSafeMode', 'Notify', 'CheckAck']),
    );
    expect(second.states).not.toContain('Duplicate');
    expect(published.map((p) => p.topic)).toEqual(['cmd/aiot/plant-a/pump-7/safe-mode']);
    expect(JSON.parse(published[0]!.payload)).toMatchObject({ commandId: id });
    const order = await workflows.workOrders.get(id);
    // One order for the episode, now critical and acknowledged; still the opening run's.
    expect(order).toMatchObject({ severity: 'critical', status: 'acknowledged', execution: first.id });
    expect((await workflows.workOrders.list()).items).toHaveLength(1);
    expect(workflows.notifications().map((n) => n.attributes.severity)).toEqual(['warning', 'critical']);
  });

  it('when the escalation is reported again, no new run starts; a run that still races finds the order critical', async () => {
    const { db, workflows, published } = answeringDevice();
    await workflows.startAnomalyResponse(opening()).done;
    await workflows.startAnomalyResponse(escalation()).done;
    expect(workflows.startAnomalyResponse(escalation(OPENED + 120_000)).started).toBe(false);
    expect(workflows.runs()).toHaveLength(2);

    const other = createLocalWorkflows({ db, publish: () => undefined, clock: () => T0 + 9000 });
    const raced = await other.startAnomalyResponse(escalation(OPENED + 150_000)).done;
    expect(raced).toMatchObject({ status: 'succeeded', outcome: 'duplicate' });
    expect(published).toHaveLength(1);
  });

  it('when an operator closed the warning order, the escalation does not reopen or raise it', async () => {
    const { workflows, published } = answeringDevice();
    await workflows.startAnomalyResponse(opening()).done;
    const id = `wo-pump-7-${T0}`;
    const closed = await workflows.workOrders.updateStatus(id, {
      status: 'closed',
      at: T0 + 3000,
      label: 'false-alarm',
    });
    const summary = await workflows.startAnomalyResponse(escalation()).done;

    expect(summary).toMatchObject({ status: 'succeeded', outcome: 'duplicate' });
    expect(summary.states).not.toContain('CommandSafeMode');
    expect(published).toHaveLength(0);
    expect(await workflows.workOrders.get(id)).toEqual(closed);
  });

  it('when the opening run never stored an order, the escalation opens it critical and acts on it', async () => {
    const { workflows, published } = answeringDevice();
    const summary = await workflows.startAnomalyResponse(escalation()).done;

    expect(summary).toMatchObject({ status: 'succeeded', outcome: 'acknowledged' });
    expect(published).toHaveLength(1);
    expect(await workflows.workOrders.get(`wo-pump-7-${T0}`)).toMatchObject({
      severity: 'critical',
      status: 'acknowledged',
    });
  });
});
