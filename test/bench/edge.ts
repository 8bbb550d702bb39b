/**
 * Edge component on one core: telemetry messages from simulated machines through the real
 * component logic (parse → validate → dedup → detector per device → window aggregates →
 * events, safety check) over the in-process transport, and how many messages it sends to the
 * cloud per 1,000 raw readings — the bandwidth the edge saves.
 *
 *   npm run bench:edge [-- --devices 50 --seconds 1200 --readings 10 --window 60]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { TELEMETRY_SCHEMA_VERSION } from '../../core/telemetry';
import { telemetryTopic } from '../../core/topics';
import { RotatingMachine } from '../../device/simulator/machine';
import { type FaultRecord, MACHINE_UNITS } from '../../device/simulator/scenario';
import { AnomalyDetectorComponent } from '../../greengrass/anomaly-detector/component';
import { LoopbackTransport } from '../../greengrass/anomaly-detector/loopback-transport';

const opts = new Command()
  .option('--devices <n>', 'simulated machines', '50')
  .option('--seconds <n>', 'seconds of 1 Hz readings per machine', '1200')
  .option('--readings <n>', 'readings per telemetry message', '10')
  .option('--window <s>', 'aggregation window in seconds', '60')
  .option('--runs <n>', 'timed runs (best is reported)', '3')
  .parse()
  .opts();
const devices = Number(opts.devices);
const seconds = Number(opts.seconds);
const perMessage = Number(opts.readings);
const windowMs = Number(opts.window) * 1000;
const runs = Number(opts.runs);
const t0 = Date.now() - seconds * 1000;

// Every fifth machine gets a fault in its last third, so events are part of the cost.
const kinds: FaultRecord['kind'][] = [
  'spikes',
  'overheating',
  'bearing-wear',
  'stuck-sensor',
  'sensor-drift',
];
const messages: { topic: string; payload: string }[] = [];
for (let d = 0; d < devices; d++) {
  const deviceId = `edge-bench-${d}`;
  const machine = new RotatingMachine({ seed: 7, index: d });
  const faults: FaultRecord[] =
    d % 5 === 0
      ? [
          {
            deviceId,
            kind: kinds[(d / 5) % kinds.length]!,
            magnitude: 1,
            startS: Math.floor((seconds * 2) / 3),
            endS: seconds,
            measure: 'vibration_rms',
          },
        ]
      : [];
  let readings: { ts: number; values: Record<string, number> }[] = [];
  let seq = 0;
  for (let t = 0; t < seconds; t++) {
    const active = faults.filter((f) => f.startS <= t && t < f.endS);
    readings.push({ ts: t0 + t * 1000, values: machine.step(t, 1, active, false) });
    if (readings.length === perMessage) {
      messages.push({
        topic: telemetryTopic('bench', deviceId),
        payload: JSON.stringify({
          schema: TELEMETRY_SCHEMA_VERSION,
          deviceId,
          site: 'bench',
          seq: seq++,
          units: MACHINE_UNITS,
          readings,
        }),
      });
      readings = [];
    }
  }
}
// Interleave devices as a gateway would see them.
messages.sort((a, b) => (JSON.parse(a.payload).seq as number) - (JSON.parse(b.payload).seq as number));
const totalReadings = messages.length * perMessage;

async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'aiot-bench-edge-'));
  const transport = new LoopbackTransport();
  const component = new AnomalyDetectorComponent({
    transport,
    stateDir: dir,
    config: { windowMs },
    logger: () => {},
  });
  await component.start();
  const start = process.hrtime.bigint();
  for (const m of messages) transport.deliver(m.topic, m.payload);
  component.flushWindows(Number.POSITIVE_INFINITY);
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  await component.stop();
  rmSync(dir, { recursive: true, force: true });
  return {
    seconds: elapsed,
    stats: component.stats(),
    cloud: transport.cloud.length,
    local: transport.local.length,
  };
}

async function main() {
  let best = Number.POSITIVE_INFINITY;
  let last: Awaited<ReturnType<typeof run>> | undefined;
  for (let i = 0; i < runs; i++) {
    last = await run();
    best = Math.min(best, last.seconds);
  }
  const r = last!;
  const rate = totalReadings / best;
  const perThousand = (r.cloud / totalReadings) * 1000;
  const batched = 1000 / perMessage;
  console.log(
    `edge component (one core): ${devices} devices × ${seconds} readings, ${perMessage} readings/message, ${windowMs / 1000}s windows`,
  );
  console.log(
    `  throughput: ${Math.round(rate).toLocaleString('en-US')} points/s (best of ${runs}; ${best.toFixed(2)} s for ${totalReadings} points)`,
  );
  console.log(
    `  to the cloud: ${r.cloud} messages (${r.stats.aggregates} aggregates, ${r.stats.events} events) = ${perThousand.toFixed(1)} per 1,000 readings`,
  );
  console.log(
    `  without the edge: 1,000 per 1,000 readings one by one, ${batched} batched — ${(1000 / perThousand).toFixed(0)}× / ${(batched / perThousand).toFixed(1)}× fewer messages`,
  );
  console.log(`  local actions: ${r.local} safe-mode commands`);
}

void main();
