/**
 * The local time-series store on this machine: telemetry write throughput (records/s through
 * the TelemetryStore port, one transaction per batch, on a WAL file) and the latency of the
 * query API's reads against the data written; and the stream log's cost per message (written
 * before the broker acknowledges it, removed once stored), in CPU time.
 *
 *   npm run bench:store [-- --devices 200 --records 200000 --batch 100]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import type { TelemetryRecord } from '../../core/ports';
import { openLocalStore } from '../../local/store';
import { StreamLog } from '../../local/stream-log';
import { printLatency } from './latency';

const opts = new Command()
  .option('--devices <n>', 'devices', '200')
  .option('--records <n>', 'records written (one reading of four measures each)', '200000')
  .option('--batch <n>', 'records per write call (a stream batch)', '100')
  .parse()
  .opts();
const devices = Number(opts.devices);
const total = Number(opts.records);
const batch = Number(opts.batch);

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiot-bench-store-'));
  const now = Date.now();
  const store = openLocalStore(path.join(dir, 'aiot.db'), { clock: () => now });
  const perDevice = Math.ceil(total / devices);
  const start0 = now - perDevice * 1000;
  const records: TelemetryRecord[] = [];
  for (let i = 0; i < total; i++) {
    const d = i % devices;
    const k = Math.floor(i / devices);
    records.push({
      deviceId: `AIOT-${d.toString(16).toUpperCase().padStart(8, '0')}`,
      site: 'plant-1',
      time: start0 + k * 1000,
      seq: k,
      measures: {
        vibration_rms: 2 + Math.sin(k / 10),
        bearing_temp_c: 60 + (k % 7),
        motor_current_a: 12,
        pressure_kpa: 300,
      },
    });
  }
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < records.length; i += batch) {
    const res = await store.telemetry.write(records.slice(i, i + batch));
    if (res.rejected.length) throw new Error(`unexpected rejections: ${res.rejected[0]!.reason}`);
  }
  const writeS = Number(process.hrtime.bigint() - t0) / 1e9;

  const time = printLatency;
  const id = records[0]!.deviceId;
  console.log(
    `local store: ${total} records (${devices} devices × ${perDevice}, 4 measures), batches of ${batch}`,
  );
  console.log(`  writes: ${(total / writeS).toFixed(0)} records/s (${writeS.toFixed(2)} s)`);
  console.log(`  file: ${(fs.statSync(path.join(dir, 'aiot.db')).size / 1e6).toFixed(1)} MB (+ WAL)`);
  await time('list devices (page of 100)', () => store.query.listDevices({ limit: 100 }));
  await time('one device', () => store.query.getDevice(id));
  await time('telemetry, last hour at 1m, all measures', () =>
    store.query.telemetry({ deviceId: id, from: now - 3_600_000, to: now, resolution: '1m', limit: 1000 }),
  );
  await time('telemetry, whole range at 1h, one measure', () =>
    store.query.telemetry({
      deviceId: id,
      from: start0,
      to: now,
      resolution: '1h',
      measure: 'bearing_temp_c',
      limit: 1000,
    }),
  );
  store.close();

  // The stream log: appends of one turn are committed together, completions with a later commit.
  const log = StreamLog.open(path.join(dir, 'stream.db'));
  const payload = Buffer.from(JSON.stringify({ readings: records.slice(0, 2) }).padEnd(330));
  const turns = Math.ceil(total / batch);
  const cpu0 = process.cpuUsage();
  const t1 = process.hrtime.bigint();
  for (let turn = 0; turn < turns; turn++) {
    const appended = await Promise.all(
      Array.from({ length: batch }, () =>
        log.append({
          topic: 'dt/aiot/plant-1/AIOT-00000001/telemetry',
          payload,
          clientId: 'AIOT-00000001',
          receivedAt: now,
        }),
      ),
    );
    log.complete(appended.map((m) => m.id));
  }
  log.flush();
  const cpu = process.cpuUsage(cpu0);
  const logS = Number(process.hrtime.bigint() - t1) / 1e9;
  console.log(
    `  stream log: ${((cpu.user + cpu.system) / (turns * batch)).toFixed(1)} µs of CPU per message (written, then removed), ` +
      `${((turns * batch) / logS).toFixed(0)} messages/s, ${batch} per commit`,
  );
  log.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
