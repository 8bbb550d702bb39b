import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { COMMAND_SCHEMA_VERSION, type CommandResponse } from '../../core/commands';
import { parseTelemetry, type TelemetryMessage } from '../../core/telemetry';
import { commandResponseTopic, commandTopic } from '../../core/topics';
import { DeviceAgent } from '../../device/agent';
import { Fleet } from '../../device/simulator/fleet';
import { MACHINE_UNITS } from '../../device/simulator/scenario';
import { waitUntil } from '../fixtures/wait';
import { aedesBroker, mosquittoBroker, OutageProxy, type TestBroker } from './device-brokers';

jest.setTimeout(90_000);

/** The receiving side: every telemetry message seen, checked against the contract, deduplicated by (device, seq). */
class TelemetrySink {
  readonly client: mqtt.MqttClient;
  readonly unique = new Map<string, TelemetryMessage>();
  duplicates = 0;
  invalid: string[] = [];

  constructor(url: string, site: string) {
    this.client = mqtt.connect(url, { clientId: `sink-${process.pid}-${Date.now()}`, reconnectPeriod: 100 });
    this.client.on('connect', () => this.client.subscribe(`dt/aiot/${site}/+/telemetry`, { qos: 1 }));
    this.client.on('message', (topic, payload) => {
      const [, , s, deviceId] = topic.split('/');
      const parsed = parseTelemetry(payload, { now: Date.now(), topic: { site: s!, deviceId: deviceId! } });
      if (!parsed.ok) {
        this.invalid.push(parsed.reason);
        return;
      }
      const key = `${parsed.value.deviceId}/${parsed.value.seq}`;
      if (this.unique.has(key)) this.duplicates++;
      else this.unique.set(key, parsed.value);
    });
  }

  /** Resolves once the sink is subscribed. */
  ready(): Promise<void> {
    return new Promise((resolve) => this.client.once('connect', () => resolve()));
  }

  /** Devices heard from so far. */
  devices(): number {
    return new Set([...this.unique.values()].map((m) => m.deviceId)).size;
  }

  readings(): number {
    let n = 0;
    for (const m of this.unique.values()) n += m.readings.length;
    return n;
  }

  waitFor(readings: number, timeoutMs = 15_000): Promise<void> {
    return waitUntil(() => this.readings() >= readings, `${readings} readings at the sink`, { timeoutMs });
  }

  close(): Promise<void> {
    return this.client.endAsync();
  }
}

const brokers: [string, () => Promise<TestBroker & { cleanup?: () => void }>][] = [
  ['aedes', aedesBroker],
  ['mosquitto', mosquittoBroker],
];

describe.each(brokers)('device agent and fleet simulator against %s', (name, make) => {
  let broker: TestBroker & { cleanup?: () => void };
  let stateDir: string;

  beforeAll(async () => {
    broker = await make();
    await broker.start();
  });

  afterAll(async () => {
    await broker.stop();
    broker.cleanup?.();
  });

  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'aiot-device-test-'));
  });

  afterEach(() => {
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('when the fleet runs, every reading arrives as valid telemetry with growing sequence numbers', async () => {
    const site = `it-${name}-a`;
    const sink = new TelemetrySink(broker.url, site);
    await sink.ready();
    const fleet = new Fleet({
      broker: broker.url,
      stateDir,
      scenario: { site, devices: 3, durationS: 3, rateHz: 10, batch: { maxReadings: 5, maxDelayMs: 200 } },
    });
    await fleet.start();
    await fleet.done;
    const summary = await fleet.stop();
    await sink.waitFor(summary.readings);
    await sink.close();

    expect(summary.readings).toBe(3 * 3 * 10);
    expect(summary.deliveredReadings).toBe(summary.readings);
    expect(sink.invalid).toEqual([]);
    expect(sink.readings()).toBe(summary.readings);
    for (const device of ['sim-0000', 'sim-0001', 'sim-0002']) {
      const seqs = [...sink.unique.values()].filter((m) => m.deviceId === device).map((m) => m.seq);
      expect(seqs.sort((a, b) => a - b)).toEqual(seqs.map((_, i) => i));
      const units = [...sink.unique.values()].find((m) => m.deviceId === device)!.units;
      expect(units).toEqual(MACHINE_UNITS);
    }
  });

  it('when a command is sent, the agent applies it and answers on …/res', async () => {
    const site = `it-${name}-b`;
    const agent = new DeviceAgent({
      deviceId: 'cmd-device',
      site,
      broker: { kind: 'url', url: broker.url },
      units: { x: 'u' },
      stateDir,
    });
    await agent.start();
    const operator = mqtt.connect(broker.url, { clientId: `operator-${name}` });
    await new Promise((r) => operator.once('connect', r));
    const responses: CommandResponse[] = [];
    operator.on('message', (_t, p) => responses.push(JSON.parse(p.toString())));
    await operator.subscribeAsync(commandResponseTopic(site, 'cmd-device', '+'), { qos: 1 });
    const send = (command: string, commandId: string, params: Record<string, unknown>) =>
      operator.publishAsync(
        commandTopic(site, 'cmd-device', command),
        JSON.stringify({ schema: COMMAND_SCHEMA_VERSION, commandId, issuedAt: Date.now(), params }),
        { qos: 1 },
      );

    await send('safe-mode', 'c-1', { reason: 'test' });
    await send('sampling-rate', 'c-2', { hz: 4 });
    await send('sampling-rate', 'c-3', { hz: 1e6 });
    await send('reboot', 'c-4', {});
    await operator.publishAsync(commandTopic(site, 'cmd-device', 'resume'), 'not json', { qos: 1 });
    await send('safe-mode', 'c-1', { reason: 'redelivered' });
    await waitUntil(() => responses.length >= 6, 'six command responses');
    await operator.endAsync();
    await agent.stop();

    const byId = Object.fromEntries(responses.map((r) => [r.commandId, r]));
    expect(byId['c-1']).toMatchObject({ status: 'ok', schema: COMMAND_SCHEMA_VERSION });
    expect(byId['c-2']).toMatchObject({ status: 'ok', detail: 'sampling at 4 Hz' });
    expect(byId['c-3']).toMatchObject({ status: 'rejected', detail: expect.stringContaining('params.hz') });
    expect(byId['c-4']).toMatchObject({
      status: 'rejected',
      detail: expect.stringContaining('unknown command "reboot"'),
    });
    expect(byId.unknown).toMatchObject({
      status: 'rejected',
      detail: expect.stringContaining('invalid command'),
    });
    expect(agent.safeMode).toBe(true);
    expect(agent.samplingHz).toBe(4);
    // The redelivered safe-mode was answered again, not applied twice.
    expect(responses.filter((r) => r.commandId === 'c-1')).toHaveLength(2);
    expect(agent.stats()).toMatchObject({ commandsApplied: 2, commandsRejected: 3 });
  });

  it('when the queue bound is hit during an outage, the dropped readings are counted and reported', async () => {
    const agent = new DeviceAgent({
      deviceId: 'bounded-device',
      site: `it-${name}-d`,
      broker: { kind: 'url', url: broker.url },
      units: { x: 'u' },
      stateDir,
      batch: { maxReadings: 2 },
      maxQueuedMessages: 3,
    });
    const reports: number[] = [];
    agent.on('dropped', (d) => reports.push(d.readings));
    await agent.start();
    await agent.goOffline();
    for (let i = 0; i < 10; i++) agent.record(Date.now() + i, { x: i });
    expect(agent.stats()).toMatchObject({
      messages: 5,
      queued: 3,
      persisted: 3,
      droppedMessages: 2,
      droppedReadings: 4,
    });
    expect(reports).toEqual([2, 2]);
    await agent.goOnline();
    await agent.stop();
    expect(agent.stats()).toMatchObject({ deliveredMessages: 3, deliveredReadings: 6, queued: 0 });
  });

  it('when the broker is unreachable for seconds mid-stream, every reading arrives exactly once after dedup by (device, seq)', async () => {
    const site = `it-${name}-c`;
    const sink = new TelemetrySink(broker.url, site);
    await sink.ready();
    // The devices reach the broker through a relay the test cuts; the sink stays connected, so
    // it sees every message the broker takes, the replayed ones too.
    const relay = new OutageProxy(broker);
    await relay.start();
    const fleet = new Fleet({
      broker: relay.url,
      stateDir,
      scenario: { site, devices: 3, durationS: 9, rateHz: 10, batch: { maxReadings: 5, maxDelayMs: 200 } },
      drainTimeoutMs: 20_000,
    });
    await fleet.start();
    // Mid-stream: every device has delivered readings before the broker goes away …
    await waitUntil(() => sink.devices() === 3, 'telemetry from every device');
    relay.goDown();
    // … and during the outage each holds back messages it could not deliver.
    await waitUntil(
      () => fleet.counters().every((s) => !s.connected && s.queued >= 2),
      'every device to queue messages while the broker is unreachable',
    );
    const duringOutage = fleet.counters();
    relay.comeBack();
    await fleet.done;
    const summary = await fleet.stop();
    await sink.waitFor(summary.readings, 20_000);
    await sink.close();
    await relay.stop();

    // The outage was real: messages were held while the broker was away, then replayed.
    expect(duringOutage.every((s) => !s.connected)).toBe(true);
    expect(Math.max(...duringOutage.map((s) => s.queued))).toBeGreaterThan(0);
    expect(summary.reconnects).toBeGreaterThanOrEqual(3);
    expect(summary.droppedReadings).toBe(0);
    expect(summary.undeliveredMessages).toBe(0);
    expect(sink.invalid).toEqual([]);
    expect(sink.readings()).toBe(summary.readings);
    expect(summary.readings).toBe(3 * 9 * 10);
    const timestamps = new Set<string>();
    for (const m of sink.unique.values()) for (const r of m.readings) timestamps.add(`${m.deviceId}/${r.ts}`);
    expect(timestamps.size).toBe(summary.readings);
  });
});
