import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type AgentLogger, type AgentStats, DeviceAgent } from '../agent';
import { type BrokerEndpoint, describeEndpoint } from '../connection';
import { RotatingMachine } from './machine';
import {
  deviceIdOf,
  FAULT_KINDS,
  type FaultKind,
  type FaultRecord,
  MACHINE_UNITS,
  parseScenario,
  planFaults,
  type Scenario,
  type ScenarioInput,
} from './scenario';

export interface FleetOptions {
  /** A broker URL (`mqtt://127.0.0.1:1883`) or a full endpoint (IoT Core with mTLS). */
  readonly broker: string | BrokerEndpoint;
  /** The scenario (validated here); the fields below override it. */
  readonly scenario?: ScenarioInput;
  readonly devices?: number;
  readonly durationS?: number;
  readonly rateHz?: number;
  readonly seed?: number;
  /**
   * Where the devices keep their queues; a fresh temporary directory (removed after a clean
   * stop) when absent.
   */
  readonly stateDir?: string;
  /** Ground truth file (JSON), written at start and again at stop. */
  readonly truthFile?: string;
  /** @default 'dev' */
  readonly stage?: string;
  /** @default 'plain' for a broker URL, 'basic' on IoT Core */
  readonly ingest?: 'basic' | 'plain';
  /** @default 10000 */
  readonly maxQueuedMessages?: number;
  /** Whether the devices take commands (subscribe to their command topics). @default true */
  readonly commands?: boolean;
  /** How long start() waits for every device to connect. @default 30000 */
  readonly connectTimeoutMs?: number;
  /** How long stop() waits for queues to drain. @default 10000 */
  readonly drainTimeoutMs?: number;
  /**
   * The time the fleet paces itself by and stamps readings with (epoch ms).
   * @default Date.now
   */
  readonly clock?: () => number;
  /** Called about once a second while running. */
  readonly onProgress?: (p: FleetProgress) => void;
  readonly logger?: AgentLogger;
}

export interface FleetProgress {
  readonly elapsedS: number;
  readonly durationS: number;
  readonly devices: number;
  readonly connected: number;
  readonly readings: number;
  readonly deliveredReadings: number;
  readonly queuedMessages: number;
  readonly droppedReadings: number;
  readonly activeFaults: number;
}

export interface FleetSummary {
  readonly devices: number;
  readonly durationS: number;
  readonly seed: number;
  readonly site: string;
  readonly readings: number;
  readonly messages: number;
  readonly deliveredReadings: number;
  readonly deliveredMessages: number;
  /** Messages still queued at the end (kept on disk in the state directory). */
  readonly undeliveredMessages: number;
  readonly droppedReadings: number;
  readonly reconnects: number;
  readonly commandsApplied: number;
  readonly faults: Readonly<Record<FaultKind, number>>;
  readonly truth: readonly FaultRecord[];
  readonly truthFile?: string;
  readonly stateDir: string;
  readonly perDevice: readonly AgentStats[];
}

interface SimulatedDevice {
  readonly id: string;
  readonly agent: DeviceAgent;
  readonly machine: RotatingMachine;
  readonly faults: FaultRecord[];
  readonly outages: FaultRecord[];
  /** Model time of the next sample (ms after t0) and of the previous one. */
  nextAtMs: number;
  lastAtMs: number;
  offline: boolean;
}

const TICK_MS = 50;

/**
 * A simulated fleet: N devices, each a rotating-machine model driving its own device agent
 * (own client id, own queue, own sequence numbers), with the scenario's faults injected.
 * Readings are stamped on one timeline that starts when every device is connected, so the same
 * seed gives the same readings and the ground truth lines up with their timestamps.
 */
export class Fleet {
  readonly scenario: Scenario;
  /** Every fault that will be injected: device, kind, start and end. */
  readonly groundTruth: readonly FaultRecord[];
  readonly stateDir: string;
  private readonly ownsStateDir: boolean;
  private readonly devices: SimulatedDevice[] = [];
  private t0 = 0;
  private readonly clock: () => number;
  private tick: NodeJS.Timeout | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  private finished = false;
  private resolveDone!: () => void;
  /** Resolves when the run's duration has elapsed (sampling has ended). */
  readonly done: Promise<void>;

  constructor(private readonly options: FleetOptions) {
    this.scenario = parseScenario({
      ...options.scenario,
      ...(options.devices !== undefined && { devices: options.devices }),
      ...(options.durationS !== undefined && { durationS: options.durationS }),
      ...(options.rateHz !== undefined && { rateHz: options.rateHz }),
      ...(options.seed !== undefined && { seed: options.seed }),
    });
    this.groundTruth = planFaults(this.scenario);
    this.clock = options.clock ?? Date.now;
    this.done = new Promise((r) => {
      this.resolveDone = r;
    });
    this.ownsStateDir = !options.stateDir;
    this.stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'aiot-sim-'));
    const broker: BrokerEndpoint =
      typeof options.broker === 'string' ? { kind: 'url', url: options.broker } : options.broker;
    const s = this.scenario;
    for (let i = 0; i < s.devices; i++) {
      const id = deviceIdOf(s, i);
      const faults = this.groundTruth.filter((f) => f.deviceId === id);
      const agent = new DeviceAgent({
        deviceId: id,
        site: s.site,
        broker,
        units: MACHINE_UNITS,
        stateDir: join(this.stateDir, id),
        stage: options.stage,
        ingest: options.ingest,
        batch: s.batch,
        samplingHz: s.rateHz,
        maxQueuedMessages: options.maxQueuedMessages,
        commands: options.commands,
        clock: options.clock,
        logger: options.logger,
      });
      this.devices.push({
        id,
        agent,
        machine: new RotatingMachine({
          seed: s.seed,
          index: i,
          dayLengthS: s.dayLengthS,
          dutyCycleS: s.dutyCycleS,
        }),
        faults: faults.filter((f) => f.kind !== 'network-outage'),
        outages: faults.filter((f) => f.kind === 'network-outage'),
        // Devices are spread over the first sampling period rather than all sampling at once.
        nextAtMs: (i / s.devices) * (1000 / s.rateHz),
        lastAtMs: 0,
        offline: false,
      });
    }
  }

  /** The agents, by device id (the local runtime reads their counters). */
  agents(): ReadonlyMap<string, DeviceAgent> {
    return new Map(this.devices.map((d) => [d.id, d.agent]));
  }

  /** Counters published by each device. */
  counters(): AgentStats[] {
    return this.devices.map((d) => d.agent.stats());
  }

  /** Epoch ms at which the run's timeline starts (0 before start). */
  get startedAt(): number {
    return this.t0;
  }

  /** Connects every device, then starts sampling. */
  async start(): Promise<void> {
    const timeoutMs = this.options.connectTimeoutMs ?? 30_000;
    const connecting = this.connectAll();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const up = this.devices.filter((d) => d.agent.connected).length;
        reject(
          new Error(
            `could not connect the fleet within ${timeoutMs / 1000}s: ${up} of ${this.devices.length} devices connected ` +
              `(is the broker at ${describe(this.options.broker)} running?)`,
          ),
        );
      }, timeoutMs);
    });
    try {
      await Promise.race([connecting, timeout]);
    } catch (e) {
      await Promise.all(this.devices.map((d) => d.agent.stop(0)));
      throw e;
    } finally {
      clearTimeout(timer);
    }
    this.t0 = this.clock();
    for (const f of this.groundTruth) {
      f.startMs = this.t0 + Math.round(f.startS * 1000);
      f.endMs = this.t0 + Math.round(f.endS * 1000);
    }
    this.writeTruth();
    this.tick = setInterval(() => this.sampleDue(), TICK_MS);
    if (this.options.onProgress) {
      this.progressTimer = setInterval(() => this.options.onProgress!(this.progress()), 1000);
    }
  }

  private async connectAll(): Promise<void> {
    // A bounded number of handshakes at once, so a large fleet does not flood the broker.
    const queue = [...this.devices];
    const worker = async () => {
      for (let d = queue.shift(); d; d = queue.shift()) await d.agent.start();
    };
    await Promise.all(Array.from({ length: Math.min(32, queue.length) }, worker));
  }

  progress(): FleetProgress {
    const stats = this.counters();
    const elapsedS = this.t0 ? Math.min(this.scenario.durationS, (this.clock() - this.t0) / 1000) : 0;
    return {
      elapsedS,
      durationS: this.scenario.durationS,
      devices: stats.length,
      connected: stats.filter((s) => s.connected).length,
      readings: sum(stats, 'readings'),
      deliveredReadings: sum(stats, 'deliveredReadings'),
      queuedMessages: sum(stats, 'queued'),
      droppedReadings: sum(stats, 'droppedReadings'),
      activeFaults: this.groundTruth.filter((f) => f.startS <= elapsedS && elapsedS < f.endS).length,
    };
  }

  private sampleDue(): void {
    const durationMs = this.scenario.durationS * 1000;
    const nowMs = this.clock() - this.t0;
    for (const d of this.devices) {
      this.updateOutage(d, nowMs / 1000);
      while (d.nextAtMs <= nowMs && d.nextAtMs < durationMs) {
        const tS = d.nextAtMs / 1000;
        const active = d.faults.filter((f) => f.startS <= tS && tS < f.endS);
        const values = d.machine.step(tS, (d.nextAtMs - d.lastAtMs) / 1000, active, d.agent.safeMode);
        d.agent.record(this.t0 + d.nextAtMs, values);
        d.lastAtMs = d.nextAtMs;
        d.nextAtMs += 1000 / d.agent.samplingHz;
      }
    }
    if (nowMs >= durationMs && !this.finished) {
      this.finished = true;
      clearInterval(this.tick);
      for (const d of this.devices) {
        d.agent.flush();
        if (d.offline) {
          d.offline = false;
          void d.agent.goOnline();
        }
      }
      this.resolveDone();
    }
  }

  private updateOutage(d: SimulatedDevice, tS: number): void {
    const inOutage = d.outages.some((f) => f.startS <= tS && tS < f.endS);
    if (inOutage && !d.offline) {
      d.offline = true;
      void d.agent.goOffline();
    } else if (!inOutage && d.offline) {
      d.offline = false;
      void d.agent.goOnline();
    }
  }

  private stopping: Promise<FleetSummary> | undefined;

  /**
   * Stops sampling, lets the queues drain (up to `drainTimeoutMs`), disconnects and summarizes.
   * Calling it again returns the same summary.
   */
  stop(): Promise<FleetSummary> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private async stopOnce(): Promise<FleetSummary> {
    if (this.tick) clearInterval(this.tick);
    if (this.progressTimer) clearInterval(this.progressTimer);
    if (!this.finished) {
      this.finished = true;
      for (const d of this.devices) {
        if (d.offline) {
          d.offline = false;
          void d.agent.goOnline();
        }
      }
      this.resolveDone();
    }
    const drainMs = this.options.drainTimeoutMs ?? 10_000;
    // Devices coming back from an outage need a moment to reconnect before they can drain.
    const deadline = Date.now() + drainMs;
    while (
      Date.now() < deadline &&
      this.devices.some((d) => !d.agent.connected && d.agent.stats().queued > 0)
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.all(this.devices.map((d) => d.agent.stop(Math.max(0, deadline - Date.now()))));
    const perDevice = this.counters();
    this.writeTruth();
    const undelivered = sum(perDevice, 'queued');
    if (this.ownsStateDir && undelivered === 0) rmSync(this.stateDir, { recursive: true, force: true });
    const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
    for (const f of this.groundTruth) faults[f.kind]++;
    return {
      devices: this.devices.length,
      durationS: this.scenario.durationS,
      seed: this.scenario.seed,
      site: this.scenario.site,
      readings: sum(perDevice, 'readings'),
      messages: sum(perDevice, 'messages'),
      deliveredReadings: sum(perDevice, 'deliveredReadings'),
      deliveredMessages: sum(perDevice, 'deliveredMessages'),
      undeliveredMessages: undelivered,
      droppedReadings: sum(perDevice, 'droppedReadings'),
      reconnects: sum(perDevice, 'reconnects'),
      commandsApplied: sum(perDevice, 'commandsApplied'),
      faults,
      truth: this.groundTruth,
      truthFile: this.options.truthFile,
      stateDir: this.stateDir,
      perDevice,
    };
  }

  private writeTruth(): void {
    const file = this.options.truthFile;
    if (!file) return;
    mkdirSync(dirname(file), { recursive: true });
    const body = {
      site: this.scenario.site,
      seed: this.scenario.seed,
      startedAt: this.t0,
      durationS: this.scenario.durationS,
      faults: this.groundTruth,
    };
    writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  }
}

function describe(b: string | BrokerEndpoint): string {
  return typeof b === 'string' ? b : describeEndpoint(b);
}

function sum<K extends keyof AgentStats>(stats: readonly AgentStats[], key: K): number {
  let total = 0;
  for (const s of stats) total += s[key] as number;
  return total;
}

/** Runs a whole simulation: start, wait for the duration, stop; returns the summary (ground truth included). */
export async function runSimulation(options: FleetOptions & { signal?: AbortSignal }): Promise<FleetSummary> {
  const fleet = new Fleet(options);
  await fleet.start();
  await new Promise<void>((resolve) => {
    void fleet.done.then(resolve);
    options.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  return fleet.stop();
}
