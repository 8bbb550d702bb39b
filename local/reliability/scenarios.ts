import * as fs from 'node:fs';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { RuntimeReport } from '../runtime';
import type { StoreFault } from '../store-faults';
import { auditStore, type FleetAudit } from './audit';
import type { FleetProcessConfig, FleetProcessResult } from './fleet-process';
import { FleetProcess, Mosquitto, Platform, rssOf, runFuzzer } from './harness';
import { freePort, OutageProxy } from './net';

/** One row of the benchmark's table: what was sent and what became of it. */
export interface ScenarioResult {
  readonly scenario: string;
  /** Messages sent (devices' telemetry, and bad payloads where there are). */
  readonly sent: number;
  /** Of those, acknowledged by the broker (or refused by it, for bad payloads). */
  readonly acked: number;
  readonly stored: number;
  readonly quarantined: number;
  readonly duplicated: number;
  readonly lost: number;
  /** The scenario's own figures (drain rate, connect time, …). */
  readonly figures: Readonly<Record<string, string | number>>;
  /** What went wrong besides losses (a crash, a payload quarantined without reason, …). */
  readonly problems: readonly string[];
}

export interface ScenarioContext {
  /** A folder of its own for this scenario's data. */
  readonly dir: string;
  /** The short version (`npm test`): fewer devices and payloads, shorter phases. */
  readonly short: boolean;
  readonly seed: number;
  /** Told what the scenario is doing. */
  readonly step: (message: string) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A fleet of `devices` devices sending to `broker` for `durationS`, its acknowledgements written under `dir`. */
function fleetConfig(
  ctx: ScenarioContext,
  broker: string,
  o: Partial<FleetProcessConfig> & { devices: number; durationS: number },
): FleetProcessConfig {
  const dir = path.join(ctx.dir, `fleet-${o.devicePrefix ?? 'dev'}`);
  return {
    broker,
    devicePrefix: 'dev',
    site: 'plant-1',
    rateHz: 2,
    batch: { maxReadings: 10, maxDelayMs: 5000 },
    seed: ctx.seed,
    stateDir: path.join(dir, 'state'),
    ackFile: path.join(dir, 'acked.json'),
    connectTimeoutMs: 120_000,
    drainTimeoutMs: 60_000,
    ...o,
  };
}

/** Sums up a fleet run: what the devices sent, what the broker acknowledged, what the store holds. */
function fleetRow(
  scenario: string,
  messages: number,
  audit: FleetAudit,
  figures: Record<string, string | number>,
  problems: string[],
): ScenarioResult {
  if (audit.retimed > 0)
    problems.push(`${audit.retimed} messages stored at other times than the device gave`);
  if (audit.lost > 0) problems.push(`lost, e.g. ${audit.lostSample.join(', ')}`);
  return {
    scenario,
    sent: messages,
    acked: audit.acked,
    stored: audit.stored,
    quarantined: audit.quarantined,
    duplicated: audit.duplicated,
    lost: audit.lost,
    figures,
    problems,
  };
}

/** A graceful stop must leave nothing in flight: the platform's own ledger. */
function checkReport(report: RuntimeReport, exitCode: number | null, problems: string[]): void {
  if (exitCode !== 0) problems.push(`the platform exited with ${exitCode}`);
  if (report.messages.lost !== 0) problems.push(`the platform's own count: ${report.messages.lost} lost`);
}

/**
 * The end of a fleet scenario: waits for the fleet, stops the platform as Ctrl+C does, and checks
 * what the devices had acknowledged against its store.
 */
async function finish(
  ctx: ScenarioContext,
  platform: Platform,
  fleet: FleetProcess,
  dataDir: string,
  problems: string[],
): Promise<{ result: FleetProcessResult; report: RuntimeReport; audit: FleetAudit }> {
  const result = await fleet.done;
  ctx.step('stopping the platform, auditing the store');
  const { report, exitCode } = await platform.stop();
  checkReport(report, exitCode, problems);
  const audit = auditStore(path.join(dataDir, 'aiot.db'), fleet.acked());
  if (result.undelivered > 0) problems.push(`${result.undelivered} messages still queued on the devices`);
  return { result, report, audit };
}

/**
 * 1. Bad input at volume: seeded bad payloads from outside clients, interleaved with a valid
 * fleet. Every bad payload must be quarantined with a reason, no valid message lost, the platform
 * still up at the end.
 */
export async function badInput(ctx: ScenarioContext): Promise<ScenarioResult> {
  const badPayloads = ctx.short ? 600 : 10_000;
  const devices = ctx.short ? 10 : 100;
  const dataDir = path.join(ctx.dir, 'data');
  ctx.step('starting the platform');
  const platform = await Platform.start({ dataDir });
  const problems: string[] = [];
  try {
    ctx.step(`${devices} devices, then ${badPayloads.toLocaleString('en-US')} bad payloads among them`);
    const fleet = new FleetProcess(
      fleetConfig(ctx, platform.url, { devices, durationS: ctx.short ? 8 : 25 }),
    );
    await fleet.connected;
    const fuzz = await runFuzzer({
      broker: platform.url,
      count: badPayloads,
      clients: ctx.short ? 5 : 20,
      slowDrip: ctx.short ? 4 : 20,
      ratePerS: ctx.short ? 300 : 800,
      seed: ctx.seed,
      site: 'fuzz',
    });
    if (fuzz.failed > 0) problems.push(`${fuzz.failed} bad publishes failed on the client's side`);
    const result = await fleet.done;
    const crashed = !platform.alive;
    if (crashed) problems.push('the platform crashed');
    ctx.step('stopping the platform, auditing the store');
    const { report, exitCode } = await platform.stop();
    checkReport(report, exitCode, problems);
    const audit = auditStore(path.join(dataDir, 'aiot.db'), fleet.acked());
    const badQuarantined = audit.otherQuarantined;
    if (badQuarantined !== fuzz.total)
      problems.push(`${fuzz.total} bad payloads taken, ${badQuarantined} quarantined`);
    if (audit.withoutReason > 0) problems.push(`${audit.withoutReason} quarantined without a reason`);
    const row = fleetRow(
      '1 bad input',
      result.messages + fuzz.total,
      audit,
      {
        'bad payloads': fuzz.total,
        'bad quarantined': badQuarantined,
        'by kind': Object.entries(fuzz.taken)
          .map(([k, n]) => `${k} ${n}`)
          .join(', '),
        'caught at': Object.entries(audit.quarantineBySource)
          .map(([k, n]) => `${k} ${n}`)
          .join(', '),
        crashes: crashed ? 1 : 0,
      },
      problems,
    );
    return {
      ...row,
      acked: row.acked + fuzz.total,
      quarantined: row.quarantined + badQuarantined,
      lost: row.lost + Math.max(0, fuzz.total - badQuarantined),
    };
  } finally {
    if (platform.alive) await platform.kill();
  }
}

/**
 * 2. Broker outage: the devices lose the broker for `outageS` mid-stream (through a relay that
 * cuts them off, for the embedded broker; the mosquitto process stopped, for an outside one).
 * Nothing may be lost or stored twice, timestamps stay the devices', and the backlog drains.
 */
export async function brokerOutage(
  ctx: ScenarioContext,
  broker: 'embedded' | 'mosquitto',
): Promise<ScenarioResult> {
  const devices = ctx.short ? 10 : 100;
  const outageS = ctx.short ? 4 : 30;
  const beforeS = ctx.short ? 3 : 10;
  const afterS = ctx.short ? 3 : 10;
  const dataDir = path.join(ctx.dir, 'data');
  const problems: string[] = [];
  const mosquitto =
    broker === 'mosquitto' ? await Mosquitto.start(path.join(ctx.dir, 'mosquitto')) : undefined;
  ctx.step(`starting the platform${mosquitto ? ` behind mosquitto at ${mosquitto.url}` : ''}`);
  const platform = await Platform.start({ dataDir, brokerUrl: mosquitto?.url });
  // Refused while down, as a stopped broker would: connections the relay took and then reset drove
  // the device SDK's native client (aws-crt 1.33.1) to abort now and then, in reconnection storms.
  const relay = mosquitto
    ? undefined
    : new OutageProxy({ port: Number(new URL(platform.url).port) }, 'refuse');
  try {
    await relay?.start(await freePort());
    const fleet = new FleetProcess(
      fleetConfig(ctx, relay?.url ?? mosquitto!.url, { devices, durationS: beforeS + outageS + afterS }),
    );
    await fleet.connected;
    ctx.step(`${devices} devices sending; the broker goes away in ${beforeS}s for ${outageS}s`);
    await sleep(beforeS * 1000);
    if (relay) relay.goDown();
    else await mosquitto!.pause();
    const downAt = Date.now();
    await sleep(outageS * 1000);
    const backlog = fleet.progress.queued;
    const deliveredBefore = fleet.progress.delivered;
    if (relay) await relay.comeBack();
    else await mosquitto!.resume();
    const upAt = Date.now();
    ctx.step(
      `the broker is back after ${Math.round((upAt - downAt) / 1000)}s; ${backlog} messages queued on the devices`,
    );
    // The devices come back on their own reconnection backoff; from the first acknowledgement on,
    // the backlog goes out (drained once as many messages as were queued have been acknowledged).
    await Promise.race([fleet.until((p) => p.delivered > deliveredBefore), fleet.done]);
    const resumedAt = Date.now();
    await Promise.race([fleet.until((p) => p.delivered - deliveredBefore >= backlog), fleet.done]);
    const drainS = Math.max(1, (Date.now() - resumedAt) / 1000);
    const reconnectS = (resumedAt - upAt) / 1000;
    const { result, audit } = await finish(ctx, platform, fleet, dataDir, problems);
    if (audit.duplicated > 0) problems.push(`${audit.duplicated} messages stored twice`);
    return fleetRow(
      `2 broker outage (${broker})`,
      result.messages,
      audit,
      {
        'outage s': outageS,
        'backlog msgs': backlog,
        'first delivery after s': Math.round(reconnectS * 10) / 10,
        'drained in s': Math.round(drainS * 10) / 10,
        'drain msg/s (at least)': Math.round(backlog / drainS),
        reconnects: result.reconnects,
        'timestamps changed': audit.retimed,
      },
      problems,
    );
  } finally {
    if (platform.alive) await platform.kill();
    await relay?.stop();
    await mosquitto?.stop();
  }
}

/**
 * 3. Runtime crash: the platform is SIGKILLed mid-stream and started again on the same data
 * folder; every message the broker acknowledged must be stored or quarantined after the restart.
 */
export async function runtimeCrash(ctx: ScenarioContext): Promise<ScenarioResult> {
  const devices = ctx.short ? 10 : 100;
  const beforeS = ctx.short ? 3 : 10;
  // Long enough after the kill for the restart (a few seconds) and the devices' reconnection backoff.
  const afterS = ctx.short ? 10 : 18;
  const dataDir = path.join(ctx.dir, 'data');
  const problems: string[] = [];
  ctx.step('starting the platform');
  let platform = await Platform.start({ dataDir });
  // The devices keep one address across the restart; the platform's port may change.
  const target = { port: Number(new URL(platform.url).port) };
  const relay = new OutageProxy(target);
  await relay.start();
  try {
    // Faster devices, so that the crash catches messages in every stage.
    const fleet = new FleetProcess(
      fleetConfig(ctx, relay.url, {
        devices,
        durationS: beforeS + afterS,
        rateHz: 10,
        batch: { maxReadings: 5, maxDelayMs: 1000 },
      }),
    );
    await fleet.connected;
    ctx.step(`${devices} devices sending; SIGKILL in ${beforeS}s`);
    await sleep(beforeS * 1000);
    const ackedBefore = fleet.progress.delivered;
    await platform.kill();
    const killedAt = Date.now();
    ctx.step('killed; starting it again on the same data');
    platform = await Platform.start({ dataDir });
    target.port = Number(new URL(platform.url).port);
    const restartS = (Date.now() - killedAt) / 1000;
    const { result, report, audit } = await finish(ctx, platform, fleet, dataDir, problems);
    return fleetRow(
      '3 runtime crash (SIGKILL)',
      result.messages,
      audit,
      {
        'acked before the kill': ackedBefore,
        'restart s': Math.round(restartS * 10) / 10,
        'replayed from the stream log': report.messages.replayed,
        'gap (acked, not found)': audit.lost,
        reconnects: result.reconnects,
      },
      problems,
    );
  } finally {
    if (platform.alive) await platform.kill();
    await relay.stop();
  }
}

/**
 * 4. Store faults: injected write errors, a full disk, then the database locked by another
 * process past the busy timeout. Writes are retried; what still fails is dead-lettered to the
 * quarantine with its reason; nothing goes missing.
 */
export async function storeFaults(ctx: ScenarioContext): Promise<ScenarioResult> {
  const devices = 100;
  const dataDir = path.join(ctx.dir, 'data');
  const problems: string[] = [];
  const faults: StoreFault[] = [
    { kind: 'errors', atS: 8, forS: 8, probability: 0.3, seed: ctx.seed },
    { kind: 'disk-full', atS: 20, forS: 8 },
  ];
  const lockAtS = 32;
  const lockForS = 15;
  ctx.step('starting the platform with store faults scheduled');
  const startedAt = Date.now();
  const platform = await Platform.start({ dataDir, storeFaults: faults });
  try {
    const fleet = new FleetProcess(
      fleetConfig(ctx, platform.url, {
        devices,
        durationS: lockAtS + lockForS + 5,
        batch: { maxReadings: 5, maxDelayMs: 2500 },
      }),
    );
    await fleet.connected;
    ctx.step('30% of writes fail from 8 s, the disk is full from 20 s, the database locked from 32 s');
    await sleep(Math.max(0, startedAt + lockAtS * 1000 - Date.now()));
    // Another process takes the write lock and keeps it past the store's busy timeout (5 s).
    const locker = new BetterSqlite3(path.join(dataDir, 'aiot.db'));
    locker.exec('BEGIN EXCLUSIVE');
    ctx.step(`the database is locked by another process for ${lockForS}s`);
    await sleep(lockForS * 1000);
    locker.exec('COMMIT');
    locker.close();
    const { result, report, audit } = await finish(ctx, platform, fleet, dataDir, problems);
    if (audit.withoutReason > 0) problems.push(`${audit.withoutReason} quarantined without a reason`);
    const reasons = new BetterSqlite3(path.join(dataDir, 'aiot.db'), { readonly: true });
    const deadLetters = reasons
      .prepare(
        `SELECT substr(reason, instr(reason, 'last error: ') + 12, 40) AS why, count(*) AS n
         FROM quarantine WHERE source = 'stream-dead-letter' GROUP BY why ORDER BY n DESC`,
      )
      .all() as { why: string; n: number }[];
    reasons.close();
    return fleetRow(
      '4 store faults',
      result.messages,
      audit,
      {
        'dead-lettered': audit.quarantineBySource['stream-dead-letter'] ?? 0,
        'dead-letter reasons': deadLetters.map((d) => `${d.why}… ${d.n}`).join('; ') || 'none',
        'platform: published / stored / quarantined': `${report.messages.published} / ${report.messages.stored} / ${report.messages.quarantined}`,
      },
      problems,
    );
  } finally {
    if (platform.alive) await platform.kill();
  }
}

/**
 * 5. Fleet scale: `devices` devices, each its own MQTT connection and client id, a reading every
 * 10 s each (spread evenly), within IoT Core's per-connection quotas. Connect time, memory per
 * device, messages/s, device → stored latency, and nothing lost.
 */
export async function fleetScale(ctx: ScenarioContext, devices: number): Promise<ScenarioResult> {
  const dataDir = path.join(ctx.dir, 'data');
  const problems: string[] = [];
  const runS = 40;
  ctx.step('starting the platform');
  const platform = await Platform.start({ dataDir, measureLatency: true });
  try {
    const idleRss = rssOf(platform.pid);
    ctx.step(`connecting ${devices.toLocaleString('en-US')} devices`);
    const fleet = new FleetProcess(
      fleetConfig(ctx, platform.url, {
        devices,
        durationS: runS,
        rateHz: 0.1,
        batch: { maxReadings: 1, maxDelayMs: 0 },
      }),
    );
    const connected = await fleet.connected;
    const connectedRss = rssOf(platform.pid);
    ctx.step(
      `${devices.toLocaleString('en-US')} devices connected in ${Math.round(connected.connectMs / 100) / 10}s; sending for ${runS}s`,
    );
    const { result, report, audit } = await finish(ctx, platform, fleet, dataDir, problems);
    const kib = (bytes: number) => Math.round(bytes / devices / 102.4) / 10;
    return fleetRow(
      `5 fleet scale (${devices.toLocaleString('en-US')})`,
      result.messages,
      audit,
      {
        'connect s': Math.round(connected.connectMs / 100) / 10,
        'platform KiB/device': kib(connectedRss - idleRss),
        'device process KiB/device': kib(connected.rssBytes - connected.baseRssBytes),
        'msg/s': Math.round(result.messages / runS),
        'p50 ms': report.latency?.p50Ms ?? '–',
        'p95 ms': report.latency?.p95Ms ?? '–',
      },
      problems,
    );
  } finally {
    if (platform.alive) await platform.kill();
  }
}

export const SCENARIOS = ['bad-input', 'outage', 'crash', 'store-faults', 'scale'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ReliabilityOptions {
  readonly scenarios: readonly ScenarioName[];
  readonly short: boolean;
  readonly seed: number;
  /** Also run the outage against an outside mosquitto (when the binary is there). */
  readonly mosquitto: boolean;
  /** Fleet sizes of the scale scenario. */
  readonly scale: readonly number[];
  readonly workDir: string;
  readonly step: (scenario: string, message: string) => void;
}

/** Runs the scenarios one after the other, each on a fresh platform and data folder. */
export async function runReliability(o: ReliabilityOptions): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  const run = async (name: string, scenario: (ctx: ScenarioContext) => Promise<ScenarioResult>) => {
    const dir = path.join(o.workDir, name.replace(/[^a-z0-9]+/gi, '-'));
    fs.mkdirSync(dir, { recursive: true });
    const ctx: ScenarioContext = { dir, short: o.short, seed: o.seed, step: (m) => o.step(name, m) };
    try {
      results.push(await scenario(ctx));
    } catch (e) {
      results.push({
        scenario: name,
        sent: 0,
        acked: 0,
        stored: 0,
        quarantined: 0,
        duplicated: 0,
        lost: 0,
        figures: {},
        problems: [`the scenario failed: ${(e as Error).message}`],
      });
    }
  };
  for (const name of o.scenarios) {
    if (name === 'bad-input') await run('bad input', badInput);
    if (name === 'outage') {
      await run('outage (embedded)', (ctx) => brokerOutage(ctx, 'embedded'));
      if (o.mosquitto) await run('outage (mosquitto)', (ctx) => brokerOutage(ctx, 'mosquitto'));
    }
    if (name === 'crash') await run('crash', runtimeCrash);
    if (name === 'store-faults') await run('store faults', storeFaults);
    if (name === 'scale') for (const n of o.scale) await run(`scale ${n}`, (ctx) => fleetScale(ctx, n));
  }
  return results;
}
