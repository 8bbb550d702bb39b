/**
 * The InfluxDB adapters against a real InfluxDB 1.x (`influxd`, started here on loopback): write
 * throughput through the TelemetryStore port with and without the conflict check, the CPU each
 * side spends on it, and the latency of the query API's reads against the data written.
 *
 *   npm run bench:influxdb [-- --devices 100 --records 100000 --batch 500]
 *
 * One write call holds one device's readings, as one device message reaches the stream
 * processor (at most 500 readings). Wall-clock figures depend on the machine's load; the CPU
 * times are steadier.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { TelemetryRecord } from '../../core/ports';
import { InfluxQueryStore, InfluxTelemetryStore } from '../../lambda/shared/influxdb';
import { InfluxServer } from '../integration/influxdb/server';
import { printLatency } from './latency';

const opts = new Command()
  .option('--devices <n>', 'devices', '100')
  .option('--records <n>', 'records written per mode (one reading of four measures each)', '100000')
  .option('--batch <n>', 'readings per write call (one device message)', '500')
  .parse()
  .opts();
const devices = Number(opts.devices);
const total = Number(opts.records);
const batch = Number(opts.batch);

/** User + system CPU of a process, in ms (from /proc, in clock ticks of 10 ms). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Per device, consecutive readings one second apart, sent in messages of `batch`. */
function messages(now: number): TelemetryRecord[][] {
  const perDevice = Math.ceil(total / devices);
  const start = now - perDevice * 1000;
  const out: TelemetryRecord[][] = [];
  for (let d = 0; d < devices; d++) {
    const deviceId = `AIOT-${d.toString(16).toUpperCase().padStart(8, '0')}`;
    for (let k0 = 0; k0 < perDevice; k0 += batch) {
      out.push(
        Array.from({ length: Math.min(batch, perDevice - k0) }, (_, j) => {
          const k = k0 + j;
          return {
            deviceId,
            site: 'plant-1',
            time: start + k * 1000,
            seq: k,
            measures: {
              vibration_rms: 2 + Math.sin(k / 10),
              bearing_temp_c: 60 + (k % 7),
              motor_current_a: 12,
              pressure_kpa: 300,
            },
          };
        }),
      );
    }
  }
  return out;
}

async function main(): Promise<void> {
  const server = await InfluxServer.create();
  try {
    const now = Date.now();
    const msgs = messages(now);
    const count = msgs.reduce((n, m) => n + m.length, 0);
    console.log(
      `influxdb (${server.url}): ${count} records (${devices} devices, 4 measures), write calls of ${batch}`,
    );
    let database = '';
    for (const detectConflicts of [true, false]) {
      database = await server.database();
      const store = new InfluxTelemetryStore({ client: server.client(), database, detectConflicts });
      const [server0, own0, t0] = [processCpuMs(server.pid!), ownCpuMs(), process.hrtime.bigint()];
      for (const m of msgs) {
        const res = await store.write(m);
        if (res.rejected.length) throw new Error(`unexpected rejections: ${res.rejected[0]!.reason}`);
      }
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const [serverMs, ownMs] = [processCpuMs(server.pid!) - server0, ownCpuMs() - own0];
      console.log(
        `  writes, conflict check ${detectConflicts ? 'on ' : 'off'}: ${(count / seconds).toFixed(0)} records/s ` +
          `(${seconds.toFixed(2)} s); CPU per 1000 records: adapter ${((ownMs * 1000) / count).toFixed(1)} ms, ` +
          `influxd ${((serverMs * 1000) / count).toFixed(1)} ms`,
      );
    }

    const query = new InfluxQueryStore({ client: server.client(), database, clock: () => now });
    const id = msgs[0]![0]!.deviceId;
    const time = (what: string, fn: () => Promise<unknown>) => printLatency(what, fn, 30);
    await time('list devices (page of 100)', () => query.listDevices({ limit: 100 }));
    await time('one device', () => query.getDevice(id));
    await time('telemetry, last hour at 1m, all measures', () =>
      query.telemetry({ deviceId: id, from: now - 3_600_000, to: now, resolution: '1m', limit: 1000 }),
    );
    await time('telemetry, raw, page of 500', () =>
      query.telemetry({ deviceId: id, from: now - 3_600_000, to: now, resolution: 'raw', limit: 500 }),
    );
    await time('history for enrich (15 min)', () => query.recent(id, now - 900_000, now));
  } finally {
    await server.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
