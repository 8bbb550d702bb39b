import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandSchema } from '../../../core/commands';
import { AnomalyEventSchema } from '../../../core/events';
import { TELEMETRY_SCHEMA_VERSION } from '../../../core/telemetry';
import { telemetryTopic } from '../../../core/topics';
import { RotatingMachine } from '../../../device/simulator/machine';
import { type FaultRecord, MACHINE_UNITS } from '../../../device/simulator/scenario';
import { AggregatesMessageSchema } from '../../../greengrass/anomaly-detector/aggregates';
import { AnomalyDetectorComponent } from '../../../greengrass/anomaly-detector/component';
import { DEFAULT_EDGE_CONFIG } from '../../../greengrass/anomaly-detector/config';
import { LoopbackTransport } from '../../../greengrass/anomaly-detector/loopback-transport';
import { waitUntil } from '../../fixtures/wait';

const T0 = Date.UTC(2026, 10, 1);
const flushAsync = () => new Promise((r) => setImmediate(r));

/** A device's telemetry: a rotating machine sampled at 1 Hz, ten readings a message. */
function* telemetry(opts: {
  seconds: number;
  faults?: FaultRecord[];
  seed?: number;
  from?: number;
  deviceId?: string;
}) {
  const machine = new RotatingMachine({ seed: opts.seed ?? 1, index: 0 });
  const deviceId = opts.deviceId ?? 'pump-1';
  let seq = 0;
  let readings: { ts: number; values: Record<string, number> }[] = [];
  for (let t = 0; t < opts.seconds; t++) {
    const active = (opts.faults ?? []).filter((f) => f.startS <= t && t < f.endS);
    readings.push({ ts: T0 + t * 1000, values: machine.step(t, 1, active, false) });
    if (readings.length === 10) {
      if (t >= (opts.from ?? 0)) {
        const body = {
          schema: TELEMETRY_SCHEMA_VERSION,
          deviceId,
          site: 'plant-1',
          seq,
          units: MACHINE_UNITS,
          readings,
        };
        yield {
          topic: telemetryTopic('plant-1', deviceId),
          payload: JSON.stringify(body),
          lastTs: T0 + t * 1000,
        };
      }
      seq++;
      readings = [];
    }
  }
}

const fault = (
  kind: FaultRecord['kind'],
  startS: number,
  endS: number,
  measure?: FaultRecord['measure'],
): FaultRecord => ({
  deviceId: 'pump-1',
  kind,
  magnitude: 1,
  startS,
  endS,
  measure,
});

describe('AnomalyDetectorComponent', () => {
  let dir: string;
  let transport: LoopbackTransport;
  let now: number;
  const logs: string[] = [];
  const make = (config: unknown = {}) =>
    new AnomalyDetectorComponent({
      transport,
      stateDir: dir,
      config,
      clock: () => now,
      logger: (level, m) => logs.push(`${level}: ${m}`),
    });
  const feed = async (
    c: AnomalyDetectorComponent,
    messages: Iterable<{ topic: string; payload: string; lastTs: number }>,
  ) => {
    for (const m of messages) {
      now = m.lastTs + 500;
      transport.deliver(m.topic, m.payload);
    }
    c.flushWindows(now + 120_000);
    await flushAsync();
  };
  const cloud = (leaf: string) =>
    transport.cloud.filter((m) => m.topic.endsWith(`/${leaf}`)).map((m) => JSON.parse(m.payload));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aiot-edge-'));
    transport = new LoopbackTransport();
    now = T0;
    logs.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('when the signal is healthy, only one aggregates message per window goes to the cloud and nothing acts', async () => {
    const c = make();
    await c.start();
    await feed(c, telemetry({ seconds: 3000 }));
    await c.stop();

    expect(cloud('events')).toEqual([]);
    expect(transport.local).toEqual([]);
    const aggregates = cloud('aggregates');
    expect(aggregates).toHaveLength(50);
    for (const a of aggregates) expect(AggregatesMessageSchema.parse(a).readings).toBe(60);
    expect(aggregates[0]).toMatchObject({
      deviceId: 'pump-1',
      site: 'plant-1',
      windowStart: T0,
      windowEnd: T0 + 60_000,
      units: MACHINE_UNITS,
    });
    expect(Object.keys(aggregates[0].measures).sort()).toEqual(Object.keys(MACHINE_UNITS).sort());
    expect(c.stats()).toMatchObject({
      readings: 3000,
      events: 0,
      actuations: 0,
      aggregates: 50,
      cloudSent: 50,
    });
  });

  it('when a sensor spikes, an anomaly event per the contract goes to the cloud within the fault', async () => {
    const c = make();
    await c.start();
    await feed(c, telemetry({ seconds: 3000, faults: [fault('spikes', 2000, 2300, 'vibration_rms')] }));
    await c.stop();

    const events = cloud('events').map((e) => AnomalyEventSchema.parse(e));
    expect(events.length).toBeGreaterThanOrEqual(1);
    for (const e of events) {
      expect(e.ts).toBeGreaterThanOrEqual(T0 + 2000_000);
      expect(e.ts).toBeLessThan(T0 + 2300_000);
      expect(e).toMatchObject({ deviceId: 'pump-1', site: 'plant-1', source: 'edge-detector' });
    }
    const windowsWithAnomalies = cloud('aggregates').filter((a) => a.anomalies > 0);
    expect(windowsWithAnomalies.length).toBeGreaterThanOrEqual(1);
  });

  it('when the bearing overheats, the device is put in safe mode locally before the limit is crossed', async () => {
    const c = make();
    await c.start();
    await feed(c, telemetry({ seconds: 3000, faults: [fault('overheating', 2000, 2600)] }));
    await c.stop();

    expect(transport.local).toHaveLength(1);
    const [action] = transport.local;
    expect(action!.topic).toBe('cmd/aiot-edge/plant-1/safe-mode');
    const command = CommandSchema.parse(JSON.parse(action!.payload));
    // The site's topic carries every device's commands: the payload names the device.
    expect(command.deviceId).toBe('pump-1');
    const limit = DEFAULT_EDGE_CONFIG.safetyLimits.bearing_temp_c!.max!;
    expect(command.params).toMatchObject({ measure: 'bearing_temp_c', limit });
    expect(String(command.params.reason)).toContain('within 10% of its max limit 90');
    // The reading that triggered it was still below the limit.
    const event = cloud('events').find((e) => e.severity === 'critical')!;
    expect(event.measures.bearing_temp_c).toBeLessThan(limit);
    expect(event.ts).toBe(command.params.readingTs);
  });

  it('when an alarm lasts, one event per episode goes out and the rest are held, yet counted in the aggregates', async () => {
    // A bearing temperature steady for 50 minutes, then climbing far beyond anything seen for
    // 10 minutes: a far-out climb scores higher with each new record.
    function* climb() {
      let seq = 0;
      for (let t = 0; t < 3600; t += 10) {
        const readings = Array.from({ length: 10 }, (_, i) => {
          const s = t + i;
          const base = 45 + Math.sin(s / 7) * 0.5 + ((s * 7919) % 13) / 26;
          return { ts: T0 + s * 1000, values: { bearing_temp_c: s < 3000 ? base : base + (s - 3000) * 0.1 } };
        });
        const body = {
          schema: TELEMETRY_SCHEMA_VERSION,
          deviceId: 'pump-1',
          site: 'plant-1',
          seq: seq++,
          units: { bearing_temp_c: 'degC' },
          readings,
        };
        yield {
          topic: telemetryTopic('plant-1', 'pump-1'),
          payload: JSON.stringify(body),
          lastTs: T0 + (t + 9) * 1000,
        };
      }
    }
    const run = async (config: unknown) => {
      transport = new LoopbackTransport();
      rmSync(dir, { recursive: true, force: true });
      const c = make(config);
      await c.start();
      await feed(c, climb());
      await c.stop();
      return {
        events: cloud('events'),
        stats: c.stats(),
        anomalous: cloud('aggregates').reduce((n, a) => n + a.anomalies, 0),
      };
    };
    const every = await run({ safetyLimits: {}, episodeQuietMs: 1 });
    const held = await run({ safetyLimits: {} });

    // Without a hold-off the climb sends an event for many of its readings.
    expect(every.events.length).toBe(every.anomalous);
    expect(every.events.length).toBeGreaterThan(20);
    // With it: an event per minute at most, or one on escalation; every anomalous reading counted.
    expect(held.anomalous).toBe(every.anomalous);
    expect(held.events.length).toBeGreaterThanOrEqual(1);
    expect(held.events.length).toBeLessThanOrEqual(12);
    expect(held.stats.events + held.stats.eventsHeld).toBe(held.anomalous);
    for (let i = 1; i < held.events.length; i++) {
      const gap = held.events[i].ts - held.events[i - 1].ts;
      const escalated = held.events[i].severity === 'critical' && held.events[i - 1].severity === 'warning';
      expect(gap >= 60_000 || escalated).toBe(true);
    }
  });

  it('when a device replays messages it already sent, they are skipped by (device, seq)', async () => {
    const c = make();
    await c.start();
    const messages = [...telemetry({ seconds: 200 })];
    await feed(c, [...messages.slice(0, 15), ...messages.slice(10)]);
    expect(c.stats()).toMatchObject({ messages: 25, duplicates: 5, readings: 200 });
    await c.stop();
  });

  it('when a message breaks the contract, it is refused with the reason and nothing else changes', async () => {
    const c = make();
    await c.start();
    transport.deliver(
      telemetryTopic('plant-1', 'pump-1'),
      '{"schema":"aiot.telemetry/1","deviceId":"pump-1"}',
    );
    transport.deliver(telemetryTopic('plant-1', 'pump-2'), [...telemetry({ seconds: 10 })][0]!.payload);
    expect(c.stats()).toMatchObject({ rejected: 2, readings: 0, devices: 0 });
    expect(logs.join('\n')).toMatch(
      /rejected a message on dt\/aiot\/plant-1\/pump-1\/telemetry: invalid telemetry/,
    );
    expect(logs.join('\n')).toMatch(
      /payload names plant-1\/pump-1 but was published on the topic of plant-1\/pump-2/,
    );
    await c.stop();
  });

  it('when restarted from its snapshot, it scores exactly as if it had never stopped', async () => {
    const faults = [fault('spikes', 1600, 2400, 'vibration_rms')];
    const straight = make();
    await straight.start();
    await feed(straight, telemetry({ seconds: 2500, faults }));
    await straight.stop();
    const expected = cloud('events');
    expect(expected.length).toBeGreaterThan(0);

    rmSync(dir, { recursive: true, force: true });
    transport = new LoopbackTransport();
    const first = make();
    await first.start();
    await feed(first, [...telemetry({ seconds: 1500, faults })]);
    await first.stop();
    expect(existsSync(join(dir, 'detectors.json'))).toBe(true);
    const second = make();
    await second.start();
    await feed(second, telemetry({ seconds: 2500, faults, from: 1500 }));
    await second.stop();
    expect(cloud('events')).toEqual(expected);
    expect(logs.join('\n')).toContain('restored 1 detectors');
  });

  it('when the snapshot file is not a snapshot of this version, it is logged and the detectors start fresh', async () => {
    writeFileSync(join(dir, 'detectors.json'), JSON.stringify({ version: 2, savedAt: T0, devices: [] }));
    const c = make();
    expect(c.stats().devices).toBe(0);
    expect(logs.join('\n')).toMatch(/detector snapshot .* refused \(version: .*\); starting fresh/);
    await c.stop();
  });

  it('when one device entry of the snapshot is bad, that device starts fresh and the others resume', async () => {
    const first = make();
    await first.start();
    await feed(first, [...telemetry({ seconds: 400 }), ...telemetry({ seconds: 400, deviceId: 'pump-2' })]);
    await first.stop();
    const path = join(dir, 'detectors.json');
    const snapshot = JSON.parse(readFileSync(path, 'utf8'));
    snapshot.devices[0].detector = { ...snapshot.devices[0].detector, version: 999 };
    snapshot.devices.push({ deviceId: 'pump-3', detector: 'not a state' });
    writeFileSync(path, JSON.stringify(snapshot));

    logs.length = 0;
    const second = make();
    expect(second.stats().devices).toBe(2);
    expect(logs.join('\n')).toContain('detector state of pump-1 is version 999');
    expect(logs.join('\n')).toMatch(/snapshot entry 2 refused \(site: .*\); that device starts fresh/);
    await second.stop();
  });

  it('when the cloud is unreachable, messages wait on disk and go out in order when it is back', async () => {
    const c = make();
    await c.start();
    transport.online = false;
    await feed(c, telemetry({ seconds: 600 }));
    expect(transport.cloud).toEqual([]);
    expect(c.stats().cloudQueued).toBe(10);
    expect(readdirSync(join(dir, 'outbox'))).toHaveLength(10);

    transport.online = true;
    // The outbox tries again on its own (every second) and sends what waited, in order.
    await waitUntil(() => cloud('aggregates').length === 10, 'the queued aggregates to go out');
    const starts = cloud('aggregates').map((a) => a.windowStart);
    expect(starts).toEqual(Array.from({ length: 10 }, (_, i) => T0 + i * 60_000));
    expect(readdirSync(join(dir, 'outbox'))).toEqual([]);
    await c.stop();
  });

  it('when the configuration changes while running, the new window and limits apply at once', async () => {
    const c = make();
    await c.start();
    await c.applyConfig({ windowMs: 10_000, safetyLimits: { pressure_kpa: { max: 100 } } });
    await feed(c, telemetry({ seconds: 100 }));
    await c.stop();
    expect(cloud('aggregates')).toHaveLength(10);
    expect(transport.local.map((m) => m.topic)).toEqual(['cmd/aiot-edge/plant-1/safe-mode']);
    await expect(c.applyConfig({ windowMs: 5 })).rejects.toThrow('invalid component configuration: windowMs');
    await expect(c.applyConfig({ detector: { bins: 0 } })).rejects.toThrow('bins must be a positive integer');
  });

  it('when retraining pushes new severity thresholds, they grade the next scores and nothing relearns', async () => {
    const faults = [fault('spikes', 1600, 2400, 'vibration_rms')];
    const c = make();
    await c.start();
    await feed(c, telemetry({ seconds: 1500, faults }));
    await c.applyConfig({ detector: { severity: { warning: 0.3, critical: 0.995 } } });
    await feed(c, telemetry({ seconds: 2500, faults, from: 1500 }));
    await c.stop();
    expect(logs.join('\n')).not.toContain('restart learning');
    // Still scoring (not back in the learning phase) and grading with the lower warning threshold.
    expect(cloud('events').filter((e) => e.severity === 'warning').length).toBeGreaterThan(0);

    await c.applyConfig({ detector: { learningPoints: 400 } });
    expect(logs.join('\n')).toContain('1 detectors restart learning');
  });

  it('when the sensor topics change, it listens on the new ones only', async () => {
    const c = make();
    await c.start();
    await c.applyConfig({ sensorTopics: ['dt/aiot/plant-9/+/telemetry'] });
    await feed(c, telemetry({ seconds: 20 }));
    expect(c.stats().messages).toBe(0);
    await c.stop();
  });
});
