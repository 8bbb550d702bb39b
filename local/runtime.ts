import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AnomalyEvent } from '../core/events';
import { quarantineItem, type TelemetryRecord } from '../core/ports';
import { composeQueryStore } from '../core/query/model';
import { Fleet, type FleetSummary } from '../device/simulator/fleet';
import type { FaultRecord, ScenarioInput } from '../device/simulator/scenario';
import type { AnomalyDetectorStats } from '../greengrass/anomaly-detector/component';
import { connectExternalBroker, type InboundMessage, type MessageBus, startEmbeddedBroker } from './broker';
import { type DetectionReport, detectionReport } from './detection';
import { EdgeHost } from './edge-host';
import { PipelineGroup } from './pipeline-host';
import { LocalRulesEngine } from './rules-engine';
import { localScenario } from './scenario';
import { type LocalStore, openLocalStore } from './store';
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
  /** Where the store, device queues and edge state live. @default '.aiot' */
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
   * publishes the per-device topic rule refused, counted as the broker hands them over.
   */
  published: number;
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
  readonly messages: { published: number; stored: number; quarantined: number; lost: number };
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
  readonly workflows: {
    started: number;
    succeeded: number;
    failed: number;
    /** Finished runs by the outcome they ended with (`acknowledged`, `escalated`, `duplicate`, …). */
    outcomes: Record<string, number>;
  };
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
/**
 * Flow control: past this many messages in flight (published, neither stored nor quarantined
 * yet) the broker holds further publishes until the backlog is down to half, so an overload
 * slows the devices, as IoT Core and Kinesis throttling would, instead of queueing in memory.
 */
const MAX_IN_FLIGHT = 5000;
/** A hold never lasts longer than this, so a stuck stage cannot stop the broker. */
const MAX_HOLD_MS = 2000;

/**
 * The whole platform on one machine: embedded broker (or an external one) → the stack's rules
 * evaluated locally → a local stream → the very stream-processor handler → the local store;
 * edge events → the very event-router handler → the ASL workflows; the Greengrass component's
 * logic over MQTT; a simulated fleet; the dashboard and the query API.
 */
export class LocalRuntime {
  readonly counters: PipelineCounters = {
    published: 0,
    stored: 0,
    quarantined: 0,
    deadLettered: 0,
    unrouted: 0,
    readingsStored: 0,
    anomalies: 0,
    workflowsStarted: 0,
  };
  private readonly anomalies: AnomalyEvent[] = [];
  private startedAt = 0;
  private stopping: Promise<RuntimeReport> | undefined;
  private hold: Promise<void> | undefined;
  /** The simulated fleet's own account of the run, once stopped. */
  fleetSummary: FleetSummary | undefined;

  private constructor(
    readonly options: LocalRuntimeOptions,
    readonly store: LocalStore,
    readonly bus: MessageBus,
    readonly pipeline: PipelineGroup,
    readonly workflows: LocalWorkflows,
    readonly edge: EdgeHost,
    readonly web: WebServer,
    readonly fleet: Fleet | undefined,
  ) {}

  static async start(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
    const log = options.log ?? (() => {});
    const dataDir = path.resolve(options.dataDir ?? '.aiot');
    fs.mkdirSync(dataDir, { recursive: true });
    const stage = options.stage ?? 'local';
    const dbFile = path.join(dataDir, 'aiot.db');
    const store = openLocalStore(dbFile);
    const cleanup: (() => Promise<void> | void)[] = [() => store.close()];
    try {
      // The holder lets handlers built before the runtime object report into its counters.
      const holder: { rt?: LocalRuntime } = {};
      const bus = options.brokerUrl
        ? await connectExternalBroker(options.brokerUrl)
        : await startEmbeddedBroker({ port: options.mqttPort ?? 1883, admit: () => holder.rt?.admission() });
      cleanup.push(() => bus.close());

      const count = (k: keyof PipelineCounters, n = 1) => {
        if (holder.rt) holder.rt.counters[k] += n;
      };

      const workflows = createLocalWorkflows({
        db: store.db,
        publish: (topic, payload) => bus.publish(topic, payload),
        history: { recent: async (id, since, until) => readHistory(store, id, since, until) },
        readings: async (since, until) => readHistory(store, undefined, since, until),
      });

      const onAnomaly = async (event: AnomalyEvent) => {
        holder.rt?.anomalies.push(event);
        count('anomalies');
        const started = workflows.startAnomalyResponse(event);
        if (started.started) count('workflowsStarted');
      };
      // The rules, the stream, the stream processor, the store's writes, the stream path's own
      // scoring and the event router run on threads of their own (each for its share of the
      // devices), on their own connections to the store's file; anomalies come back here to
      // start their workflows.
      const pipeline = await PipelineGroup.start({
        threads: options.pipelineThreads ?? 2,
        dbFile,
        stage,
        batchWindowMs: 20,
        reportStoredTimes: options.reportStoredTimes,
        onProgress: (p) => {
          count('stored', p.stored);
          count('readingsStored', p.readingsStored);
          count('quarantined', p.quarantined);
          count('deadLettered', p.deadLettered);
        },
        onAnomaly: (event) => void onAnomaly(event),
        onCommandAck: (topic, payload) => {
          void workflows
            .handleCommandResponse(topic, payload)
            .catch((e: unknown) => log('error', `acknowledging on ${topic}: ${(e as Error).message}`));
        },
        log,
      });
      cleanup.push(() => pipeline.stop());

      // Compiled here as well, so that an unsupported construct stops the runtime at start-up,
      // and to tell which messages are for the pipeline; they run on the pipeline threads.
      const rules = new LocalRulesEngine(stage);

      bus.onRefused((m) => {
        count('published');
        count('quarantined');
        void store.quarantine.put([
          quarantineItem(m.payload, {
            source: 'broker',
            reason: m.reason,
            receivedAt: m.receivedAt,
            topic: m.topic,
          }),
        ]);
      });
      // Messages are counted here, where the broker hands them over, apart from the stages
      // that store or quarantine them; those arriving before the runtime is assembled wait.
      const early: InboundMessage[] = [];
      const take = (rt: LocalRuntime, m: InboundMessage) => {
        rt.edge.offer(m);
        // What no rule is for (aggregates, replies to other commands) passes by, as in IoT Core.
        if (!rules.takes(m.topic)) {
          rt.counters.unrouted++;
          return;
        }
        rt.counters.published++;
        rt.pipeline.dispatch(m);
      };
      bus.onMessage((m) => {
        if (holder.rt) take(holder.rt, m);
        else early.push(m);
      });

      // The edge component's nucleus: its local publishes reach the devices through the broker,
      // its cloud ones the rules, as the gateway's.
      const edge = await EdgeHost.start({
        stateDir: path.join(dataDir, 'edge'),
        publish: (topic, payload, cloud) =>
          cloud ? bus.publishAsGateway(topic, payload) : bus.publish(topic, payload),
        log,
      });
      cleanup.push(() => edge.stop());

      const devices = options.devices ?? 6;
      const rateHz = options.rateHz ?? 2;
      const seed = options.seed ?? 1;
      const fleet =
        devices > 0
          ? new Fleet({
              broker: bus.url,
              scenario:
                options.scenario ?? localScenario({ devices, durationS: options.durationS, rateHz, seed }),
              ...(options.scenario && { devices, durationS: options.durationS, seed }),
              stateDir: path.join(dataDir, 'devices'),
              truthFile: path.join(dataDir, 'ground-truth.json'),
              stage,
            })
          : undefined;

      const queries = composeQueryStore(store.query, workflows.workOrders);
      const web = await startWebServer({
        port: options.webPort ?? 8080,
        queries,
        status: () => holder.rt!.status(),
        live: () => holder.rt!.liveState(),
      });
      cleanup.push(() => web.close());

      const rt = new LocalRuntime(options, store, bus, pipeline, workflows, edge, web, fleet);
      holder.rt = rt;
      for (const m of early.splice(0)) take(rt, m);
      rt.startedAt = Date.now();
      if (fleet) {
        await fleet.start();
        rt.startedAt = fleet.startedAt;
      }
      log('info', `broker ${bus.url} · dashboard ${web.url} · ${devices} simulated devices`);
      return rt;
    } catch (e) {
      for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => {});
      throw e;
    }
  }

  /** Messages published and not yet stored or quarantined, and those the broker still holds. */
  get inFlight(): number {
    return this.counters.published - this.counters.stored - this.counters.quarantined + this.bus.backlog();
  }

  /** Undefined while the pipeline keeps up; else a promise that settles once it has caught up. */
  admission(): Promise<void> | undefined {
    if (this.hold) return this.hold;
    if (this.inFlight < MAX_IN_FLIGHT) return undefined;
    const since = Date.now();
    this.hold = new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (this.inFlight > MAX_IN_FLIGHT / 2 && Date.now() - since < MAX_HOLD_MS) return;
        clearInterval(check);
        this.hold = undefined;
        resolve();
      }, 2);
    });
    return this.hold;
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
    await this.settle();
    await this.edge.stop();
    // The edge's last windows and events are in flight now.
    await new Promise((r) => setTimeout(r, 300));
    await this.settle();
    await Promise.race([this.workflows.idle(), new Promise((r) => setTimeout(r, 5000))]);
    await this.pipeline.stop();
    const report = this.report(endedAt);
    await this.web.close();
    await this.bus.close();
    this.store.close();
    return report;
  }

  /** Waits until the broker's deliveries and the stream are empty (bounded). */
  private async settle(): Promise<void> {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (Date.now() < deadline) {
      await Promise.race([this.pipeline.drained(), new Promise((r) => setTimeout(r, 500))]);
      // Quiet for a moment: nothing new arrived while we waited.
      const before = this.counters.published + this.counters.unrouted;
      await new Promise((r) => setTimeout(r, 150));
      if (this.pipeline.pending === 0 && before === this.counters.published + this.counters.unrouted) {
        return;
      }
    }
  }

  report(endedAt = Date.now()): RuntimeReport {
    const c = this.counters;
    const durationSeconds = Math.max(0.001, (endedAt - this.startedAt) / 1000);
    const runs = this.workflows.runs();
    const detection = detectionReport(this.fleet?.groundTruth ?? [], this.anomalies);
    const { perFault, ...summary } = detection;
    const faults = perFault.map(({ fault, detectedAt }) => ({
      deviceId: fault.deviceId,
      kind: fault.kind,
      startMs: fault.startMs,
      endMs: fault.endMs,
      detectedAt,
    }));
    return {
      devices: this.fleet?.scenario.devices ?? 0,
      durationSeconds: Math.round(durationSeconds * 10) / 10,
      messages: {
        published: c.published,
        stored: c.stored,
        quarantined: c.quarantined,
        lost: c.published - c.stored - c.quarantined,
      },
      detection: { ...summary, faults },
      throughput: { messagesPerSecond: Math.round((c.published / durationSeconds) * 10) / 10 },
      workflows: {
        started: c.workflowsStarted,
        succeeded: runs.filter((r) => r.status === 'succeeded').length,
        failed: runs.filter((r) => r.status === 'failed').length,
        outcomes: runs.reduce<Record<string, number>>((n, r) => {
          if (r.outcome) n[r.outcome] = (n[r.outcome] ?? 0) + 1;
          return n;
        }, {}),
      },
    };
  }
}

function readHistory(
  store: LocalStore,
  deviceId: string | undefined,
  since: number,
  until: number,
): TelemetryRecord[] {
  const rows = store.db
    .prepare(
      `SELECT device_id, site, time, seq, measures FROM readings
       WHERE time >= ? AND time < ? ${deviceId ? 'AND device_id = ?' : ''} ORDER BY time LIMIT 200000`,
    )
    .all(...(deviceId ? [since, until, deviceId] : [since, until])) as {
    device_id: string;
    site: string;
    time: number;
    seq: number;
    measures: string;
  }[];
  return rows.map((r) => ({
    deviceId: r.device_id,
    site: r.site,
    time: r.time,
    seq: r.seq,
    measures: JSON.parse(r.measures),
  }));
}
