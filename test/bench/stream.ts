/**
 * Stream-processor throughput on one core: Kinesis batches through the real handler
 * (decode → parse → validate → multi-measure records → write batches of ≤ 100) with the
 * Timestream and S3 clients stubbed, next to bare JSON.parse of the same payloads.
 *
 *   npm run bench:stream [-- --messages 20000 --readings 10]
 */
import type { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { Command } from 'commander';
import type { Quarantine } from '../../core/ports';
import { TELEMETRY_SCHEMA_VERSION } from '../../core/telemetry';
import { TimestreamTelemetryStore } from '../../lambda/shared/timestream-store';
import { makeHandler } from '../../lambda/stream-processor/handler';
import { kinesisRecord } from '../fixtures/telemetry';

const opts = new Command()
  .option('--messages <n>', 'messages per run', '20000')
  .option('--readings <n>', 'readings per message', '10')
  .option('--runs <n>', 'timed runs (best is reported)', '5')
  .parse()
  .opts();
const messages = Number(opts.messages);
const readingsPer = Number(opts.readings);
const runs = Number(opts.runs);
const now = Date.now();

const payloads = Array.from({ length: messages }, (_, m) =>
  JSON.stringify({
    schema: TELEMETRY_SCHEMA_VERSION,
    deviceId: `AIOT-${(m % 500).toString(16).toUpperCase().padStart(8, '0')}`,
    site: 'plant-a',
    seq: m,
    units: { vibration_rms: 'mm/s', bearing_temp_c: 'degC', motor_current_a: 'A', pressure_kpa: 'kPa' },
    readings: Array.from({ length: readingsPer }, (_, r) => ({
      ts: now - (readingsPer - r) * 100,
      values: {
        vibration_rms: 2 + Math.sin(m + r) * 0.3,
        bearing_temp_c: 45 + (r % 7) * 0.1,
        motor_current_a: 12.5 + Math.cos(r) * 0.4,
        pressure_kpa: 310 + (m % 13),
      },
    })),
  }),
);
const batches: { Records: ReturnType<typeof kinesisRecord>[] }[] = [];
for (let i = 0; i < payloads.length; i += 100) {
  batches.push({ Records: payloads.slice(i, i + 100).map((p, j) => kinesisRecord(p, i + j)) });
}

let written = 0;
const stubClient = {
  send: async (cmd: { input: { Records: unknown[] } }) => {
    written += cmd.input.Records.length;
    return {};
  },
} as unknown as TimestreamWriteClient;
const quarantine: Quarantine = { put: async () => {} };
const handler = makeHandler({
  store: new TimestreamTelemetryStore({ client: stubClient, databaseName: 'bench', tableName: 'telemetry' }),
  quarantine,
  clock: () => now,
});

async function timeHandler(): Promise<number> {
  written = 0;
  const t0 = process.hrtime.bigint();
  for (const b of batches) {
    const res = await handler(b);
    if (res.batchItemFailures.length) throw new Error('a batch item failed in the benchmark');
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (written !== messages * readingsPer)
    throw new Error(`wrote ${written} of ${messages * readingsPer} readings`);
  return s;
}

function timeJsonParse(): number {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (const p of payloads) sink += (JSON.parse(p) as { seq: number }).seq;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (sink < 0) throw new Error('unreachable');
  return s;
}

async function main(): Promise<void> {
  await timeHandler(); // warm-up (JIT)
  timeJsonParse();
  let best = Number.POSITIVE_INFINITY;
  let bestParse = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    best = Math.min(best, await timeHandler());
    bestParse = Math.min(bestParse, timeJsonParse());
  }
  const rate = messages / best;
  const parseRate = messages / bestParse;
  console.log(
    `stream-processor bench: ${messages} messages × ${readingsPer} readings, best of ${runs} runs, one core`,
  );
  console.log(
    `  handler (parse → validate → write batches): ${Math.round(rate).toLocaleString('en')} records/s  (${Math.round(rate * readingsPer).toLocaleString('en')} readings/s)`,
  );
  console.log(
    `  bare JSON.parse of the same payloads:       ${Math.round(parseRate).toLocaleString('en')} records/s`,
  );
  console.log(`  ratio: ${(rate / parseRate).toFixed(3)}× JSON.parse (target ≥ 0.25×)`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
