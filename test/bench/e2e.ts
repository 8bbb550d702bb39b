/**
 * End to end on this machine: MQTT clients publish device telemetry to the local platform as
 * `npm start` runs it (embedded broker with the per-device rule → the stack's rules → local
 * stream → the stream-processor handler → the SQLite store; the edge component subscribed
 * alongside), and we measure messages stored per second and the device → stored latency, next
 * to the same broker alone (a message counted when the broker takes it) in the same run.
 *
 * The load comes from separate processes (test/bench/e2e-load.mjs, `--load-processes` of them,
 * each with its share of the clients and the rate). The broker alone is offered more and more
 * (from `--overload`, half as much again each run) until it takes less than 90% of what is
 * offered: the most it took is its capacity. The pipeline gets the target rate (its latencies
 * are what a device sees), then more in steps while it keeps up (stores ≥ 95% of what is
 * offered, p95 under a second), then the broker's capacity as an overload: held back by the
 * runtime's flow control, the publishers go as fast as the pipeline stores — the sustained
 * figure. A last run does the same with realistic batches (`--batch-readings` per message) and
 * counts readings stored per second.
 *
 *   npm run bench:e2e [-- --devices 100 --rate 5000 --step 1000 --overload 20000 --load-processes 2 --seconds 15 --warmup 5]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { embeddedBroker } from '../../local/broker';
import { LocalRuntime } from '../../local/runtime';

const opts = new Command()
  .option('--devices <n>', 'publishing clients (one device id each)', '100')
  .option('--rate <n>', 'target messages per second (latency is measured at this load)', '5000')
  .option(
    '--overload <n>',
    "the broker alone's first offered rate, messages per second (raised by half each run)",
    '20000',
  )
  .option('--step <n>', 'messages per second added at each step of the sustained search', '1000')
  .option('--seconds <n>', 'seconds of load per run', '15')
  .option(
    '--warmup <n>',
    'seconds at the start of each run left out of the figures (a fresh runtime: its threads compiling their hot code)',
    '5',
  )
  .option('--readings <n>', 'readings per message', '1')
  .option('--batch-readings <n>', 'readings per message of the batched run', '10')
  .option('--load-processes <n>', 'load processes publishing side by side', '2')
  .option('--max-offer <n>', 'the most the broker alone is offered, messages per second', '200000')
  .parse()
  .opts();
const devices = Number(opts.devices);
const targetRate = Number(opts.rate);
const overload = Number(opts.overload);
const step = Number(opts.step);
const seconds = Number(opts.seconds);
const warmupS = Number(opts.warmup);
const readingsPer = Number(opts.readings);
const batchReadings = Number(opts.batchReadings);
const loadProcesses = Math.max(1, Number(opts.loadProcesses));
const maxOffer = Number(opts.maxOffer);

interface LoadResult {
  readonly sent: number;
  readonly acked: number;
  readonly seconds: number;
  /** CPU time the load process spent publishing. */
  readonly cpuMs: number;
}

/** Where the CPU went while the load ran: per message, and how busy each thread's event loop was. */
interface CpuAccount {
  /** CPU time of the process under test (all its threads, garbage collector helpers included). */
  readonly processUsPerMessage: number;
  /** CPU time of the load process. */
  readonly loadUsPerMessage: number;
  /** Event-loop utilization of each thread, 0-1. */
  readonly busy: Readonly<Record<string, number>>;
}

type Elu = EventLoopUtilization;
const busyBetween = (a: Elu, b: Elu) => (b.active - a.active) / (b.active - a.active + b.idle - a.idle || 1);

/** Starts counting; the returned function ends it, given the load's result and the messages handled. */
function cpuAccount(threads: () => Record<string, Elu>): (load: LoadResult, messages: number) => CpuAccount {
  const cpu0 = process.cpuUsage();
  const elu0 = threads();
  return (load, messages) => {
    const cpu = process.cpuUsage(cpu0);
    const elu1 = threads();
    const n = Math.max(1, messages);
    return {
      processUsPerMessage: (cpu.user + cpu.system) / n,
      loadUsPerMessage: (load.cpuMs * 1000) / n,
      busy: Object.fromEntries(Object.keys(elu1).map((k) => [k, busyBetween(elu0[k]!, elu1[k]!)])),
    };
  };
}

const describeCpu = (c: CpuAccount) =>
  `CPU per message: ${Math.round(c.processUsPerMessage)} µs under test + ${Math.round(c.loadUsPerMessage)} µs load; busy ` +
  Object.entries(c.busy)
    .map(([k, v]) => `${k} ${Math.round(v * 100)}%`)
    .join(', ');

/** Runs one load process against `url`; `onStart` is called once its clients are connected. */
function runLoadProcess(
  url: string,
  clients: number,
  firstDevice: number,
  rate: number,
  readings: number,
  onStart: () => void,
): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        path.join(__dirname, 'e2e-load.mjs'),
        url,
        String(clients),
        String(rate),
        String(seconds),
        String(readings),
        String(firstDevice),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      const before = out;
      out += d.toString();
      if (!before.includes('connected\n') && out.includes('connected\n')) onStart();
    });
    child.once('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`load process exited ${code}: ${out}`));
      resolve(JSON.parse(last) as LoadResult);
    });
  });
}

/**
 * Runs the load processes side by side, each with its share of the clients and of `rate`;
 * `onStart` is called once all of them are connected. Their results are added up.
 */
async function runLoad(
  url: string,
  rate: number,
  onStart: () => void,
  readings = readingsPer,
): Promise<LoadResult> {
  let connected = 0;
  const share = (n: number, i: number) => Math.floor(n / loadProcesses) + (i < n % loadProcesses ? 1 : 0);
  let first = 0;
  const runs = Array.from({ length: loadProcesses }, (_, i) => {
    const clients = share(devices, i);
    const run = runLoadProcess(url, clients, first, rate / loadProcesses, readings, () => {
      if (++connected === loadProcesses) onStart();
    });
    first += clients;
    return run;
  });
  const results = await Promise.all(runs);
  return {
    sent: results.reduce((n, r) => n + r.sent, 0),
    acked: results.reduce((n, r) => n + r.acked, 0),
    seconds: Math.max(...results.map((r) => r.seconds)),
    cpuMs: results.reduce((n, r) => n + r.cpuMs, 0),
  };
}

/** Counts completions and latencies, leaving the warm-up out. */
class Probe {
  private t0 = 0;
  count = 0;
  readonly latencies: number[] = [];
  start(): void {
    this.t0 = Date.now();
  }
  /** A message completed at `now` that was sent at `sentAt`. */
  record(sentAt: number, now = Date.now()): void {
    if (this.t0 === 0 || now - this.t0 < warmupS * 1000 || now - this.t0 > seconds * 1000) return;
    this.count++;
    this.latencies.push(now - sentAt);
  }
  get rate(): number {
    return this.count / (seconds - warmupS);
  }
  percentile(p: number): number {
    if (this.latencies.length === 0) return Number.NaN;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  }
}

/** The newest reading of a message is its send time (see e2e-load.mjs). */
const sentAtOf = (payload: Buffer): number => {
  const m = JSON.parse(payload.toString('utf8')) as { readings: { ts: number }[] };
  return m.readings[m.readings.length - 1]!.ts;
};

async function brokerAlone(rate: number): Promise<{ probe: Probe; load: LoadResult; cpu: CpuAccount }> {
  const bus = await embeddedBroker({ port: 0 });
  const probe = new Probe();
  let taken = 0;
  await bus.open({
    accept: (m) => {
      taken++;
      probe.record(sentAtOf(m.payload), m.receivedAt);
      return undefined;
    },
    refused: () => {},
  });
  try {
    let account: ReturnType<typeof cpuAccount> | undefined;
    const load = await runLoad(bus.url, rate, () => {
      probe.start();
      account = cpuAccount(() => ({ main: performance.eventLoopUtilization() }));
    });
    return { probe, load, cpu: account!(load, taken) };
  } finally {
    await bus.close();
  }
}

async function endToEnd(rate: number, readings = readingsPer) {
  const dir = mkdtempSync(path.join(tmpdir(), 'aiot-bench-e2e-'));
  const rt = await LocalRuntime.start({
    devices: 0,
    webPort: 0,
    mqttPort: 0,
    dataDir: dir,
    stage: 'bench',
    reportStoredTimes: true,
  });
  const probe = new Probe();
  // A message counts as stored when the store write holding it ends.
  rt.pipeline.onStored((at, times) => {
    for (const sentAt of times) probe.record(sentAt, at);
  });
  try {
    let account: ReturnType<typeof cpuAccount> | undefined;
    let before = 0;
    const load = await runLoad(
      rt.bus.url,
      rate,
      () => {
        probe.start();
        before = rt.counters.published;
        account = cpuAccount(() => ({
          main: performance.eventLoopUtilization(),
          ...rt.pipeline.eventLoops(),
          edge: rt.edge.eventLoop(),
        }));
      },
      readings,
    );
    const cpu = account!(load, rt.counters.published - before);
    const drainStart = Date.now();
    const report = await rt.stop();
    return { probe, load, report, cpu, drainS: (Date.now() - drainStart) / 1000 };
  } finally {
    await rt.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Kept up: stored nearly all that was offered, with the latency still bounded. */
const keptUp = (probe: Probe, rate: number) => probe.rate >= 0.95 * rate && probe.percentile(95) < 1000;

async function main(): Promise<void> {
  console.log(
    `bench:e2e · ${devices} clients in ${loadProcesses} load process(es) · ${readingsPer} reading(s)/message · ` +
      `${seconds}s runs (first ${warmupS}s left out)`,
  );
  // The broker alone, offered more each run until it no longer takes what it is offered.
  let brokerMax: Awaited<ReturnType<typeof brokerAlone>> | undefined;
  for (let offered = overload; offered <= maxOffer; offered = Math.round(offered * 1.5)) {
    const run = await brokerAlone(offered);
    const offeredRate = run.load.sent / run.load.seconds;
    const saturated = run.probe.rate < 0.9 * offered;
    console.log(
      `broker alone, offered ${fmt(offered)}/s: ${fmt(run.probe.rate)} msg/s taken (load sent ${fmt(offeredRate)}/s) · ` +
        `${describeCpu(run.cpu)}${saturated ? ' — saturated' : ''}`,
    );
    if (!brokerMax || run.probe.rate > brokerMax.probe.rate) brokerMax = run;
    if (saturated) break;
  }
  const brokerCapacity = brokerMax!.probe.rate;
  const brokerAtRate = await brokerAlone(targetRate);
  console.log(
    `broker alone at ${fmt(targetRate)}/s: ${fmt(brokerAtRate.probe.rate)} msg/s, ` +
      `p50 ${brokerAtRate.probe.percentile(50)} ms, p95 ${brokerAtRate.probe.percentile(95)} ms`,
  );
  // Sustained: the highest offered rate, in steps of --step from --rate, that the pipeline keeps up with.
  let sustained = 0;
  let atTarget: Awaited<ReturnType<typeof endToEnd>> | undefined;
  for (let rate = targetRate; rate <= brokerCapacity; rate += step) {
    const run = await endToEnd(rate);
    atTarget ??= run;
    const ok = keptUp(run.probe, rate);
    console.log(
      `end to end at ${fmt(rate)}/s: ${fmt(run.probe.rate)} msg/s stored, p50 ${run.probe.percentile(50)} ms, ` +
        `p95 ${run.probe.percentile(95)} ms, p99 ${run.probe.percentile(99)} ms, lost ${run.report.messages.lost}` +
        `${ok ? '' : ' — falls behind'} · ${describeCpu(run.cpu)}`,
    );
    if (!ok) break;
    sustained = run.probe.rate;
  }
  // Offered what the broker alone could take: the runtime's flow control holds the publishers back.
  const offeredCap = Math.round(brokerCapacity);
  const e2eMax = await endToEnd(offeredCap);
  console.log(
    `end to end, offered ${fmt(offeredCap)}/s (overload, publishers held back): ${fmt(e2eMax.probe.rate)} msg/s stored, ` +
      `lost ${e2eMax.report.messages.lost} · ${describeCpu(e2eMax.cpu)}`,
  );
  const batched = await endToEnd(offeredCap, batchReadings);
  console.log(
    `end to end, ${batchReadings} readings per message, offered ${fmt(offeredCap)}/s: ${fmt(batched.probe.rate)} msg/s = ` +
      `${fmt(batched.probe.rate * batchReadings)} readings/s stored, lost ${batched.report.messages.lost} · ${describeCpu(batched.cpu)}`,
  );
  const capacity = e2eMax.probe.rate;
  const ratio = capacity / brokerCapacity;
  const p95 = atTarget!.probe.percentile(95);
  console.log('');
  console.log(
    `broker alone ${fmt(brokerCapacity)} msg/s at saturation · end to end ${fmt(capacity)} msg/s under overload ` +
      `(target ≥ 5,000) · ${ratio.toFixed(2)}× the broker alone (target ≥ 0.5) · keeping up with ` +
      `${sustained ? `${fmt(sustained)}/s` : `less than ${fmt(targetRate)}/s`} offered · p95 device→stored ${p95} ms at ` +
      `${fmt(targetRate)}/s (target < 250) · batches of ${batchReadings}: ${fmt(batched.probe.rate * batchReadings)} readings/s`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
