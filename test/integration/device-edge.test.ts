import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { clockFrom } from '../../core/clock';
import { AnomalyEventSchema } from '../../core/events';
import { Fleet } from '../../device/simulator/fleet';
import { AggregatesMessageSchema } from '../../greengrass/anomaly-detector/aggregates';
import { AnomalyDetectorComponent } from '../../greengrass/anomaly-detector/component';
import { MqttTransport } from '../../greengrass/anomaly-detector/mqtt-transport';
import { waitUntil } from '../fixtures/wait';
import { aedesBroker, type TestBroker } from './device-brokers';

jest.setTimeout(60_000);

describe('edge anomaly detector over MQTT with the simulated fleet', () => {
  let broker: TestBroker;
  let dir: string;

  beforeAll(async () => {
    broker = await aedesBroker();
    await broker.start();
    dir = mkdtempSync(join(tmpdir(), 'aiot-edge-it-'));
  });
  afterAll(async () => {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when one machine spikes, events and a local safe-mode reach it alone; both send window aggregates', async () => {
    const cloud: { topic: string; body: Record<string, unknown> }[] = [];
    const observer = mqtt.connect(broker.url, { clientId: 'cloud-observer' });
    await new Promise((r) => observer.once('connect', r));
    await observer.subscribeAsync(['dt/aiot/edge-it/+/events', 'dt/aiot/edge-it/+/aggregates'], { qos: 1 });
    observer.on('message', (topic, payload) => cloud.push({ topic, body: JSON.parse(payload.toString()) }));

    // One timeline for the fleet and the edge, the same time of day on every run.
    const clock = clockFrom(Date.UTC(2026, 0, 15, 9));
    const transport = await MqttTransport.connect({ localUrl: broker.url, clientId: 'edge-it' });
    const component = new AnomalyDetectorComponent({
      transport,
      stateDir: join(dir, 'edge'),
      config: {
        sensorTopics: ['dt/aiot/edge-it/+/telemetry'],
        windowMs: 1000,
        // Thresholds far from both sides of this run: the healthy machine scores below about
        // 0.86 and the spiking one above 0.99 (the edge's own defaults, 0.98 and 0.995, sit
        // too close to those spikes for a test that must not depend on the detector's last digit).
        detector: { learningPoints: 60, learningMs: 3000, severity: { warning: 0.93, critical: 0.95 } },
      },
      clock,
    });
    await component.start();

    const fleet = new Fleet({
      broker: broker.url,
      stateDir: join(dir, 'devices'),
      scenario: {
        site: 'edge-it',
        devices: 2,
        durationS: 12,
        rateHz: 20,
        batch: { maxReadings: 10, maxDelayMs: 200 },
        faults: [{ kind: 'spikes', device: 1, startS: 6, endS: 12, measure: 'vibration_rms', magnitude: 3 }],
      },
      clock,
    });
    await fleet.start();
    await fleet.done;
    const summary = await fleet.stop();
    await waitUntil(() => component.stats().readings === summary.readings, 'the edge to score every reading');
    // Stopping closes the open windows and drains the outbox to the cloud.
    await component.stop();
    const cloudReadings = () =>
      cloud
        .filter((m) => m.topic.endsWith('/aggregates'))
        .reduce((n, m) => n + (m.body.readings as number), 0);
    await waitUntil(() => cloudReadings() === summary.readings, 'every window aggregate to reach the cloud');
    await transport.close();
    await observer.endAsync();

    const stats = component.stats();
    expect(stats.readings).toBe(summary.readings);
    const events = cloud
      .filter((m) => m.topic.endsWith('/events'))
      .map((m) => AnomalyEventSchema.parse(m.body));
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.deviceId))).toEqual(new Set(['sim-0001']));
    for (const e of events) expect(e.ts).toBeGreaterThanOrEqual(fleet.groundTruth[0]!.startMs!);

    const aggregates = cloud
      .filter((m) => m.topic.endsWith('/aggregates'))
      .map((m) => AggregatesMessageSchema.parse(m.body));
    for (const device of ['sim-0000', 'sim-0001']) {
      const mine = aggregates.filter((a) => a.deviceId === device);
      expect(mine.reduce((n, a) => n + a.readings, 0)).toBe(12 * 20);
    }
    // The bandwidth the edge saves: far fewer cloud messages than readings.
    expect(events.length + aggregates.length).toBeLessThan(summary.readings / 10);

    // The local action closed the loop on the device itself, without the cloud.
    expect(stats.actuations).toBe(1);
    const agents = fleet.agents();
    expect(agents.get('sim-0001')!.safeMode).toBe(true);
    expect(agents.get('sim-0000')!.safeMode).toBe(false);
    expect(summary.commandsApplied).toBe(1);
  });
});
