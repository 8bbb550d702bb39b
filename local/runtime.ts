import * as fs from 'node:fs';
import * as path from 'node:path';
import { startsResponse } from '../core/episodes';
import type { AnomalyEvent } from '../core/events';
import { quarantineItem } from '../core/ports';
import { composeQueryStore } from '../core/query/model';
import type { WorkOrder } from '../core/workorders';
import { Fleet, type FleetSummary } from '../device/simulator/fleet';
import type { FaultRecord, ScenarioInput } from '../device/simulator/scenario';
import type { AnomalyDetectorStats } from '../greengrass/anomaly-detector/component';
import { type BusIntake, embeddedBroker, externalBroker, type MessageBus } from './broker';
import { type DetectionReport, detectionReport } from './detection';
import { EdgeHost } from './edge-host';
import { FlowControl } from './flow-control';
import { PipelineGroup } from './pipeline-host';
import { LocalRulesEngine } from './rules-engine';
import { localScenario } from './scenario';
import { type LocalStore, openLocalStore, SqliteHistoryReader } from './store';
import type { StoreFault } from './store-faults';
import { StreamLog } from './stream-log';
import { startWebServer, type WebServer } from './web/server';
import { createLocalWorkflows, type LocalWorkflows } from './workflows';

export interface LocalRuntimeOptions {
  /** Simulated devices; 0 runs the platform alone, for outside devices. @default 6 */
  readonly devices?: number;
  /** Stops by itself after this many seconds of fleet time; runs until stopped when absent. */
  readonly durationS?: number;
  /** Readings per second per simulated device. @default 2 */
  readonly rateHz?: number;
  /** @default 1 */
  readonly seed?: number;
  /** A scenario (device/scenarios/*.json) instead of the default fleet. */
  readonly scenario?: ScenarioInput;
  /** Dashboard port; 0 picks a free one. @default 8080 */
  readonly webPort?: number;
  /** Embedded broker port; 0 picks a free one. @default 1883 */
  readonly mqttPort?: number;
  /** An external broker instead of the embedded one. */
  readonly brokerUrl?: string;
  /** Threads running the pipeline behind the broker, each with its share of the devices. @default 2 */
  readonly pipelineThreads?: number;
  /** Report each stored message's newest reading time to {@link PipelineGroup.onStored} (benchmarks). */
  readonly reportStoredTimes?: boolean;
  /** Faults the pipeline's store adapter goes through (the reliability benchmark's store scenario). */
  readonly storeFaults?: readonly StoreFault[];
  /** Where the store, the stream log, device queues and edge state live. @default '.aiot' */
  readonly dataDir?: string;
  /** The stage the rule names are made for (Basic Ingest topics name it). @default 'local' */
  readonly stage?: string;
  /** Told about progress and problems. */
  readonly log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** Counters kept independently at each stage of the pipeline. */
export interface PipelineCounters {
  /**
   * Messages clients published on a topic of the stack's rules (Basic Ingest included) and
   * publishes the per-device topic rule refused, counted as the broker hands them over (once in
   * the stream log), and what the stream log still held from an earlier run.
   */
  published: number;
  /** Of those, messages an earlier run had acknowledged and not finished, taken from the stream log at start. */
  replayed: number;
  /** Messages whose content reached the store (telemetry written, anomaly events recorded). */
  stored: number;
  /** Messages kept in the quarantine with a reason. */
  quarantined: number;
  /** Messages the stream processor kept failing on (the dead-letter queue in AWS; also quarantined). */
  deadLettered: number;
  /** Messages on topics no rule takes (aggregates, command replies, …). */
  unrouted: number;
  readingsStored: number;
  anomalies: number;
  workflowsStarted: number;
}

export interface RuntimeReport {
  readonly devices: number;
  readonly durationSeconds: number;
  readonly messages: {
    published: number;
    /** Of those, taken from the stream log at start: acknowledged by an earlier run that did not finish them. */
    replayed: number;
    stored: number;
    quarantined: number;
    lost: number;
  };
  readonly detection: Omit<DetectionReport, 'perFault'> & {
    /** Every scored fault and when it was first detected (epoch ms). */
    readonly faults: readonly {
      deviceId: string;
      kind: string;
      startMs?: number;
      endMs?: number;
      detectedAt?: number;
    }[];
  };
  readonly throughput: { messagesPerSecond: number };
  /** Device → stored latency of telemetry messages (from their newest reading), with `reportStoredTimes`. */
  readonly latency?: { samples: number; p50Ms: number; p95Ms: number; p99Ms: number };
  readonly workflows: {
    started: number;
    succeeded: number;
    failed: number;
    /** Finished runs by the outcome they ended with (`acknowledged`, `escalated`, `duplicate`, …). */
    outcomes: Record<string, number>;
  };
  /** Work orders opened during the run, and how many on devices with no fault injected. */
  readonly workOrders: { opened: number; onHealthyDevices: number; devices: readonly string[] };
}

export interface RuntimeStatus {
  readonly startedAt: number;
  readonly elapsedS: number;
  readonly durationS?: number;
  readonly brokerUrl: string;
  readonly dashboardUrl: string;
  readonly counters: PipelineCounters;
  readonly pendingInStream: number;
  readonly fleet?: ReturnType<Fleet['progress']>;
  readonly edge?: AnomalyDetectorStats;
  readonly groundTruth: readonly FaultRecord[];
}

const DRAIN_TIMEOUT_MS = 15_000;
/** Flow control: past this many messages in flight the broker holds further publishes (see {@link FlowControl}). */
const MAX_IN_FLIGHT = 5000;
/** A hold never lasts longer than this, so a stuck stage cannot stop the broker. */
const MAX_HOLD_MS = 2000;
/** Running workflows get this long to end when the runtime stops. */
const WORKFLOWS_GRACE_MS = 5000;

/** Nothing counted yet. */
const noCounts = (): PipelineCounters => ({
  published: 0,
  replayed: 0,
  stored: 0,
  quarantined: 0,
  deadLettered: 0,
  unrouted: 0,
  readingsStored: 0,
  anomalies: 0,
  workflowsStarted: 0,
});

/** The parts of a running runtime, each built on its own and handed to {@link LocalRuntime}. */
type RuntimeParts = Pick<
  LocalRuntime,
  'options' | 'counters' | 'store' | 'streamLog' | 'bus' | 'pipeline' | 'workflows' | 'edge' | 'web' | 'fleet'
> & {
  readonly anomalies: AnomalyEvent[];
  /** Told every time the pipeline reports progress. */
  readonly progress: Set<() => void>;
};

/** What is closed, in reverse order, when the start fails part-way. */
class Teardown {
  private readonly steps: (() => unknown)[] = [];
  add<T>(part: T, close: (part: T) => unknown): T {
    this.steps.push(() => close(part));
    return part;
  }
  async run(): Promise<void> {
    for (const step of this.steps.reverse())
      await Promise.resolve()
        .then(step)
        .catch(() => {});
  }
}
/** Most readings one retraining reads from the local store (the evaluation rows' cap in AWS is the same). */
const MAX_TRAINING_READINGS = 200_000;

/**
 * The whole platform on one machine: embedded broker (or an external one) → the stack's rules
 * evaluated locally → a local stream (durable: its log on disk) → the very stream-processor
 * handler → the local store; edge events → the very event-router handler → the ASL workflows;
 * the Greengrass component's logic over MQTT; a simulated fleet; the dashboard and the query API.
 */
export class LocalRuntime {
  readonly options: LocalRuntimeOptions;
  readonly counters: PipelineCounters;
  readonly store: LocalStore;
  readonly streamLog: StreamLog;
  readonly bus: MessageBus;
  readonly pipeline: PipelineGroup;
  readonly workflows: LocalWorkflows;
  readonly edge: EdgeHost;
  readonly web: WebServer;
  readonly fleet: Fleet | undefined;
  private readonly anomalies: AnomalyEvent[];
  private readonly progress: Set<() => void>;
  private startedAt = Date.now();
  /** Device → stored latencies (ms), when asked for. */
  private readonly latencies: number[] = [];
  private stopping: Promise<RuntimeReport> | undefined;
  /** The simulated fleet's own account of the run, once stopped. */
  fleetSummary: FleetSummary | undefined;

  private constructor(parts: RuntimeParts) {
    this.options = parts.options;
    this.counters = parts.counters;
    this.anomalies = parts.anomalies;
    this.progress = parts.progress;
    this.store = parts.store;
    this.streamLog = parts.streamLog;
    this.bus = parts.bus;
    this.pipeline = parts.pipeline;
    this.workflows = parts.workflows;
    this.edge = parts.edge;
    this.web = parts.web;
    this.fleet = parts.fleet;
    if (parts.options.reportStoredTimes) {
      this.pipeline.onStored((at, times) => {
        for (const t of times) this.latencies.push(at - t);
      });
    }
  }

  static async start(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
    const log = options.log ?? (() => {});
    const dataDir = path.resolve(options.dataDir ?? '.aiot');
    fs.mkdirSync(dataDir, { recursive: true });
    const stage = options.stage ?? 'local';
    const dbFile = path.join(dataDir, 'aiot.db');
    const teardown = new Teardown();
    try {
      const store = teardown.add(openLocalStore(dbFile), (s) => s.close());
      const streamLog = teardown.add(StreamLog.open(path.join(dataDir, 'stream.db')), (l) => l.close());
      const counters = noCounts();
      const anomalies: AnomalyEvent[] = [];
      const progress = new Set<() => void>();
      const bus = teardown.add(
        options.brokerUrl
          ? externalBroker(options.brokerUrl, { clientId: `aiot-runtime-${stage}` })
          : await embeddedBroker({ port: options.mqttPort ?? 1883 }),
        (b) => b.close(),
      );

      const history = new SqliteHistoryReader(store.db);
      const workflows = createLocalWorkflows({
        db: store.db,
        publish: (topic, payload) => bus.publish(topic, payload),
        history,
        readings: (since, until) => history.range(since, until, MAX_TRAINING_READINGS),
        predictions: store.events,
      });

      // The rules, the stream, the stream processor, the store's writes, the stream path's own
      // scoring and the event router run on threads of their own (each for its share of the
      // devices), on their own connections to the store's file; anomalies come back here to
      // start their workflows.
      const pipeline = teardown.add(
        await PipelineGroup.start({
          threads: options.pipelineThreads ?? 2,
          dbFile,
          stage,
          batchWindowMs: 20,
          reportStoredTimes: options.reportStoredTimes,
          storeFaults: options.storeFaults,
          onProgress: (p, done) => {
            counters.stored += p.stored;
            counters.readingsStored += p.readingsStored;
            counters.quarantined += p.quarantined;
            counters.deadLettered += p.deadLettered;
            streamLog.complete(done);
            for (const listener of progress) listener();
          },
          onAnomaly: (event) => {
            anomalies.push(event);
            counters.anomalies++;
            // As in AWS: one workflow per episode, one more when it escalates to critical.
            if (startsResponse(event) && workflows.startAnomalyResponse(event).started)
              counters.workflowsStarted++;
          },
          onCommandAck: (topic, payload) => {
            void workflows
              .handleCommandResponse(topic, payload)
              .catch((e: unknown) => log('error', `acknowledging on ${topic}: ${(e as Error).message}`));
          },
          log,
        }),
        (p) => p.stop(),
      );

      // The edge component's nucleus: its local publishes reach the devices through the broker,
      // its cloud ones the rules, as the gateway's.
      const edge = teardown.add(
        await EdgeHost.start({
          stateDir: path.join(dataDir, 'edge'),
          publish: (topic, payload, cloud) =>
            cloud ? bus.publishAsGateway(topic, payload) : bus.publish(topic, payload),
          log,
        }),
        (e) => e.stop(),
      );

      // What an earlier run acknowledged and did not finish goes through first.
      const leftOver = streamLog.leftOver();
      for (const m of leftOver) pipeline.dispatch(m);
      counters.published += leftOver.length;
      counters.replayed += leftOver.length;
      if (leftOver.length > 0) log('info', `${leftOver.length} messages from the previous run's stream log`);

      const inFlight = () => counters.published - counters.stored - counters.quarantined + streamLog.staging;
      const flow = new FlowControl(inFlight, MAX_IN_FLIGHT, MAX_HOLD_MS);
      progress.add(() => flow.progressed());
      await bus.open(
        intake({ rules: new LocalRulesEngine(stage), edge, streamLog, pipeline, store, counters, flow, log }),
      );

      const devices = options.devices ?? 6;
      const fleet =
        devices > 0
          ? new Fleet({
              broker: bus.url,
              scenario:
                options.scenario ??
                localScenario({
                  devices,
                  durationS: options.durationS,
                  rateHz: options.rateHz ?? 2,
                  seed: options.seed ?? 1,
                }),
              ...(options.scenario && { devices, durationS: options.durationS, seed: options.seed ?? 1 }),
              stateDir: path.join(dataDir, 'devices'),
              truthFile: path.join(dataDir, 'ground-truth.json'),
              stage,
            })
          : undefined;

      // The server's handlers read the runtime, which holds the server: it is assigned in the same
      // turn the server starts listening, before any request can be read.
      let runtime: LocalRuntime | undefined;
      const web = teardown.add(
        await startWebServer({
          port: options.webPort ?? 8080,
          queries: composeQueryStore(store.query, workflows.workOrders),
          status: () => runtime!.status(),
          live: () => runtime!.liveState(),
        }),
        (w) => w.close(),
      );
      runtime = new LocalRuntime({
        options,
        counters,
        anomalies,
        progress,
        store,
        streamLog,
        bus,
        pipeline,
        workflows,
        edge,
        web,
        fleet,
      });
      if (fleet) {
        await fleet.start();
        runtime.startedAt = fleet.startedAt;
      }
      log('info', `broker ${bus.url} · dashboard ${web.url} · ${devices} simulated devices`);
      return runtime;
    } catch (e) {
      await teardown.run();
      throw e;
    }
  }

  /** Messages taken and not yet stored or quarantined (those waiting for the stream log included). */
  get inFlight(): number {
    return (
      this.counters.published - this.counters.stored - this.counters.quarantined + this.streamLog.staging
    );
  }

  /** Resolves when the fleet's run is over (immediately when there is no fleet or no duration). */
  async finished(): Promise<void> {
    if (this.fleet && this.options.durationS !== undefined) await this.fleet.done;
  }

  status(): RuntimeStatus {
    const now = Date.now();
    return {
      startedAt: this.startedAt,
      elapsedS: (now - this.startedAt) / 1000,
      durationS: this.options.durationS,
      brokerUrl: this.bus.url,
      dashboardUrl: this.web.url,
      counters: { ...this.counters },
      pendingInStream: this.pipeline.pending,
      fleet: this.fleet?.progress(),
      edge: this.edge.stats(),
      groundTruth: this.fleet?.groundTruth ?? [],
    };
  }

  /** What the dashboard shows live besides the query API. */
  liveState() {
    return {
      status: this.status(),
      anomalies: this.anomalies.slice(-50).reverse(),
      runs: this.workflows.runs().slice(-30).reverse(),
      notifications: this.workflows.notifications().slice(-20).reverse(),
      quarantine: this.store.quarantine.list({ limit: 20 }).items,
      quarantineBySource: this.store.quarantine.countsBySource(),
      deadLetters: this.counters.deadLettered,
    };
  }

  /**
   * Stops the fleet (its queues drain), waits until every message in flight has reached the
   * store, the quarantine or the dead-letter list, lets running workflows end (bounded), then
   * closes everything and returns the report.
   */
  stop(): Promise<RuntimeReport> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private async stopOnce(): Promise<RuntimeReport> {
    const endedAt = Date.now();
    if (this.fleet) this.fleetSummary = await this.fleet.stop();
    await this.bus.barrier();
    await this.settled(DRAIN_TIMEOUT_MS);
    // The edge's last windows and events are handed to the bus before its thread ends.
    await this.edge.stop();
    await this.bus.barrier();
    await this.settled(DRAIN_TIMEOUT_MS);
    await Promise.race([this.workflows.idle(), new Promise((r) => setTimeout(r, WORKFLOWS_GRACE_MS))]);
    await this.pipeline.stop();
    const report = this.report(endedAt, await this.workOrdersOpened());
    await this.web.close();
    await this.bus.close();
    this.streamLog.close();
    this.store.close();
    return report;
  }

  /** Work orders opened since the run started (the data folder may hold earlier runs'). */
  private async workOrdersOpened(): Promise<WorkOrder[]> {
    const out: WorkOrder[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.workflows.workOrders.list({ limit: 100, cursor });
      const recent = page.items.filter((o) => o.openedAt >= this.startedAt);
      out.push(...recent);
      // Newest first: a page reaching back before the start ends the listing.
      cursor = recent.length === page.items.length ? page.cursor : undefined;
    } while (cursor);
    return out;
  }

  /**
   * Resolves true once every message taken is stored or quarantined (published = stored +
   * quarantined, the stream log and the streams empty), judged at each progress report; false
   * when `timeoutMs` passes first.
   */
  private settled(timeoutMs: number): Promise<boolean> {
    const done = () => this.inFlight <= 0 && this.streamLog.size === 0 && this.pipeline.pending === 0;
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.progress.delete(check);
        resolve(ok);
      };
      const check = () => {
        if (done()) finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.progress.add(check);
    });
  }

  /** The report; `workOrders` are those opened during the run (read from the store at the stop). */
  report(endedAt = Date.now(), workOrders: readonly WorkOrder[] = []): RuntimeReport {
    const c = this.counters;
    const durationSeconds = Math.max(0.001, (endedAt - this.startedAt) / 1000);
    const runs = this.workflows.runs();
    const devices = this.fleet?.scenario.devices ?? 0;
    const detection = detectionReport(this.fleet?.groundTruth ?? [], this.anomalies, {
      devices,
      durationSeconds,
    });
    const { perFault, ...summary } = detection;
    const faults = perFault.map(({ fault, detectedAt }) => ({
      deviceId: fault.deviceId,
      kind: fault.kind,
      startMs: fault.startMs,
      endMs: fault.endMs,
      detectedAt,
    }));
    const faulty = new Set((this.fleet?.groundTruth ?? []).map((f) => f.deviceId));
    return {
      devices,
      durationSeconds: Math.round(durationSeconds * 10) / 10,
      messages: {
        published: c.published,
        replayed: c.replayed,
        stored: c.stored,
        quarantined: c.quarantined,
        lost: c.published - c.stored - c.quarantined,
      },
      detection: { ...summary, faults },
      throughput: { messagesPerSecond: Math.round((c.published / durationSeconds) * 10) / 10 },
      ...(this.options.reportStoredTimes && { latency: latencySummary(this.latencies) }),
      workflows: {
        started: c.workflowsStarted,
        succeeded: runs.filter((r) => r.status === 'succeeded').length,
        failed: runs.filter((r) => r.status === 'failed').length,
        outcomes: runs.reduce<Record<string, number>>((n, r) => {
          if (r.outcome) n[r.outcome] = (n[r.outcome] ?? 0) + 1;
          return n;
        }, {}),
      },
      workOrders: {
        opened: workOrders.length,
        onHealthyDevices: workOrders.filter((o) => !faulty.has(o.deviceId)).length,
        devices: [...new Set(workOrders.map((o) => o.deviceId))].sort(),
      },
    };
  }
}

function latencySummary(latencies: number[]): NonNullable<RuntimeReport['latency']> {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0;
  return { samples: sorted.length, p50Ms: at(0.5), p95Ms: at(0.95), p99Ms: at(0.99) };
}

interface IntakeParts {
  readonly rules: LocalRulesEngine;
  readonly edge: EdgeHost;
  readonly streamLog: StreamLog;
  readonly pipeline: PipelineGroup;
  readonly store: LocalStore;
  readonly counters: PipelineCounters;
  readonly flow: FlowControl;
  readonly log: NonNullable<LocalRuntimeOptions['log']>;
}

/**
 * What the broker does with each publish: the edge component gets what it subscribed to; what a
 * rule is for is written to the stream log (the broker acknowledges it then) and handed to the
 * pipeline; what no rule is for (aggregates, replies to other commands) passes by, as in IoT
 * Core; a publish the per-device rule refused is quarantined here.
 */
function intake(p: IntakeParts): BusIntake {
  return {
    admit: () => p.flow.gate(),
    accept: (m) => {
      p.edge.offer(m);
      if (!p.rules.takes(m.topic)) {
        p.counters.unrouted++;
        return undefined;
      }
      return p.streamLog.append(m).then(
        (logged) => {
          p.counters.published++;
          p.pipeline.dispatch(logged);
        },
        (e: unknown) => {
          p.log(
            'error',
            `stream log: ${m.topic} not taken (the client sends it again): ${(e as Error).message}`,
          );
          throw e;
        },
      );
    },
    refused: (m) => {
      p.counters.published++;
      p.store.quarantine
        .put([
          quarantineItem(m.payload, {
            source: 'broker',
            reason: m.reason,
            receivedAt: m.receivedAt,
            topic: m.topic,
          }),
        ])
        .then(
          () => {
            p.counters.quarantined++;
          },
          (e: unknown) =>
            p.log('error', `refused publish on ${m.topic} not quarantined: ${(e as Error).message}`),
        );
    },
  };
}
