/**
 * The processes a reliability scenario drives, each outside the others: the platform (`aiot
 * start`), a simulated fleet, the fuzzer, an outside mosquitto. Started with Node and tsx's
 * loader directly (no wrapper process), so a SIGKILL reaches the platform itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RuntimeReport } from '../runtime';
import type { StoreFault } from '../store-faults';
import type { FleetProcessConfig, FleetProcessResult, FleetProgressLine } from './fleet-process';
import type { FuzzProcessConfig, FuzzProcessResult } from './fuzz-process';
import { freePort, stopChild, waitForPort } from './net';

const ROOT = path.resolve(__dirname, '../..');
export const MOSQUITTO = process.env.MOSQUITTO_BIN ?? 'mosquitto';

function spawnTs(entry: string, args: readonly string[]): ChildProcess {
  return spawn(process.execPath, ['--max-semi-space-size=32', '--import', 'tsx', entry, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Calls `onLine` for each line the child prints; keeps the last lines of its error output. */
function readLines(child: ChildProcess, onLine: (line: string) => void): () => string {
  let buffered = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    let at = buffered.indexOf('\n');
    while (at >= 0) {
      onLine(buffered.slice(0, at));
      buffered = buffered.slice(at + 1);
      at = buffered.indexOf('\n');
    }
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  return () => stderr;
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

/** Resident memory of a process (Linux), in bytes; 0 when it cannot be read. */
export function rssOf(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface PlatformOptions {
  readonly dataDir: string;
  /** Embedded broker port (0: any). */
  readonly mqttPort?: number;
  /** An outside broker instead of the embedded one. */
  readonly brokerUrl?: string;
  readonly storeFaults?: readonly StoreFault[];
  readonly measureLatency?: boolean;
  readonly log?: (message: string) => void;
}

/** The platform under test: `aiot start --devices 0` in its own process. */
export class Platform {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly reportFile: string,
  ) {}

  static async start(o: PlatformOptions): Promise<Platform> {
    mkdirSync(o.dataDir, { recursive: true });
    const reportFile = path.join(o.dataDir, `report-${Date.now()}.json`);
    const args = ['start', '--devices', '0', '--port', '0', '--data', o.dataDir, '--report', reportFile];
    if (o.brokerUrl) args.push('--broker', o.brokerUrl);
    else args.push('--mqtt-port', String(o.mqttPort ?? 0));
    if (o.storeFaults?.length) args.push('--inject-store-faults', JSON.stringify(o.storeFaults));
    if (o.measureLatency) args.push('--measure-latency');
    const child = spawnTs('bin/aiot.ts', args);
    const url = new Promise<string>((resolve, reject) => {
      const stderr = readLines(child, (line) => {
        const m = /^mqtt\s+(mqtt:\/\/\S+)/.exec(line);
        if (m) resolve(m[1]!);
      });
      child.stderr!.on('data', (d: Buffer) => {
        for (const line of d.toString().split('\n')) if (/^(error|warn): /.test(line)) o.log?.(line);
      });
      child.once('exit', (code) =>
        reject(new Error(`the platform exited (${code}) before it was up:\n${stderr()}`)),
      );
    });
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('the platform did not come up within 60 s')), 60_000).unref(),
    );
    try {
      return new Platform(child, await Promise.race([url, timeout]), reportFile);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Kills it at once, as a crash would: nothing is flushed, nothing is written. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await exited(this.child);
  }

  /** Stops it as Ctrl+C does (drained, report written); returns its report and exit code. */
  async stop(): Promise<{ report: RuntimeReport; exitCode: number | null }> {
    this.child.kill('SIGTERM');
    const exitCode = await exited(this.child);
    return { report: JSON.parse(readFileSync(this.reportFile, 'utf8')) as RuntimeReport, exitCode };
  }
}

/** A simulated fleet in its own process ({@link FleetProcessConfig}). */
export class FleetProcess {
  readonly connected: Promise<{ connectMs: number; rssBytes: number; baseRssBytes: number }>;
  readonly done: Promise<FleetProcessResult>;
  /** The newest progress line. */
  progress: FleetProgressLine = { event: 'progress', connected: 0, delivered: 0, queued: 0 };
  private readonly listeners: ((p: FleetProgressLine) => void)[] = [];

  constructor(
    readonly config: FleetProcessConfig,
    private readonly child = spawnTs(path.join(__dirname, 'fleet-process.ts'), [JSON.stringify(config)]),
  ) {
    let connected!: (v: { connectMs: number; rssBytes: number; baseRssBytes: number }) => void;
    let done!: (v: FleetProcessResult) => void;
    this.connected = new Promise((r) => {
      connected = r;
    });
    this.done = new Promise((resolve, reject) => {
      done = resolve;
      const stderr = readLines(child, (line) => {
        if (!line.startsWith('{')) return;
        const m = JSON.parse(line) as { event: string };
        if (m.event === 'connected') connected(m as never);
        else if (m.event === 'progress') {
          this.progress = m as FleetProgressLine;
          for (const l of this.listeners) l(this.progress);
        } else if (m.event === 'done') done(m as FleetProcessResult);
      });
      child.once('exit', (code) => {
        if (code !== 0) reject(new Error(`the fleet process exited (${code}):\n${stderr()}`));
      });
    });
    // Whoever awaits `connected` learns of an early death through `done`.
    this.done.catch(() => {});
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves at the first progress line for which `test` holds. */
  until(test: (p: FleetProgressLine) => boolean): Promise<FleetProgressLine> {
    if (test(this.progress)) return Promise.resolve(this.progress);
    return new Promise((resolve) => {
      const listener = (p: FleetProgressLine) => {
        if (!test(p)) return;
        this.listeners.splice(this.listeners.indexOf(listener), 1);
        resolve(p);
      };
      this.listeners.push(listener);
    });
  }

  /** What the broker acknowledged, per device (read once the process is done). */
  acked(): Record<string, [number, number, number, number][]> {
    return JSON.parse(readFileSync(this.config.ackFile, 'utf8'));
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** Runs the fuzzer ({@link FuzzProcessConfig}) to its end. */
export function runFuzzer(config: FuzzProcessConfig): Promise<FuzzProcessResult> {
  const child = spawnTs(path.join(__dirname, 'fuzz-process.ts'), [JSON.stringify(config)]);
  return new Promise((resolve, reject) => {
    let result: FuzzProcessResult | undefined;
    const stderr = readLines(child, (line) => {
      if (line.startsWith('{')) result = JSON.parse(line) as FuzzProcessResult;
    });
    child.once('exit', (code) =>
      code === 0 && result ? resolve(result) : reject(new Error(`the fuzzer exited (${code}):\n${stderr()}`)),
    );
  });
}

/**
 * An outside mosquitto that keeps its sessions on disk, so it can be stopped (as a broker outage)
 * and started again on the same port with the runtime's queued messages.
 */
export class Mosquitto {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly conf: string,
  ) {}

  static async start(dir: string): Promise<Mosquitto> {
    mkdirSync(dir, { recursive: true });
    // Started as root, mosquitto drops to its own user before it writes its persistence file.
    chmodSync(dir, 0o777);
    const port = await freePort();
    const conf = path.join(dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${dir}/`,
        'max_queued_messages 100000',
        '',
      ].join('\n'),
    );
    const broker = new Mosquitto(port, conf);
    await broker.resume();
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Starts it (again), with what it kept on disk. */
  async resume(): Promise<void> {
    this.child = spawn(MOSQUITTO, ['-c', this.conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    await waitForPort(this.port, this.child, 'mosquitto');
  }

  /** Stops it (it writes its sessions and queued messages to disk first). */
  async pause(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stopChild(child);
  }

  stop(): Promise<void> {
    return this.pause();
  }
}
