import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { COMMAND_SCHEMA_VERSION, type Command } from '../../core/commands';
import {
  createDetector,
  type Detector,
  type DetectorConfig,
  type DetectorState,
  restoreDetector,
} from '../../core/detector';
import { type EpisodeState, EpisodeStateSchema } from '../../core/episodes';
import { type AnomalyEvent, EVENT_SCHEMA_VERSION } from '../../core/events';
import type { Severity } from '../../core/severity';
import { parseTelemetry } from '../../core/telemetry';
import { aggregatesTopic, edgeCommandTopic, eventsTopic, parseDeviceTopic } from '../../core/topics';
import { WindowAggregate } from './aggregates';
import { assessReading, type NearLimit } from './assess';
import { type EdgeConfig, parseEdgeConfig } from './config';
import { CloudOutbox, type EdgeLogger } from './outbox';
import type { EdgeTransport, Unsubscribe } from './transport';

export interface AnomalyDetectorOptions {
  readonly transport: EdgeTransport;
  /** Where the detector snapshot and the cloud outbox live (the component's work directory). */
  readonly stateDir: string;
  /** The component configuration (validated; defaults fill the rest). */
  readonly config?: unknown;
  /** @default Date.now */
  readonly clock?: () => number;
  readonly logger?: EdgeLogger;
  /** Called with every anomaly event sent (the local runtime shows them). */
  readonly onEvent?: (event: AnomalyEvent) => void;
  /** Called with every local action taken. */
  readonly onActuation?: (topic: string, command: Command) => void;
}

export interface AnomalyDetectorStats {
  readonly messages: number;
  readonly readings: number;
  /** Messages that broke the telemetry contract (logged with the reason). */
  readonly rejected: number;
  /** Messages seen before (a device's store-and-forward replay), skipped by (device, seq). */
  readonly duplicates: number;
  readonly events: number;
  /** Anomalous readings not sent as events: inside an episode already told, not more severe. */
  readonly eventsHeld: number;
  readonly aggregates: number;
  readonly actuations: number;
  /** Messages IoT Core has taken. */
  readonly cloudSent: number;
  readonly cloudQueued: number;
  readonly cloudDropped: number;
  readonly devices: number;
}

interface DeviceState {
  readonly site: string;
  readonly deviceId: string;
  detector: Detector;
  lastSeq: number;
  lastActuationAt: number;
  /** Whether the last reading was within the safety margin of a limit. */
  nearLimit: boolean;
  /** The device's open anomaly episode, if any. */
  episode?: EpisodeState;
  window?: WindowAggregate;
}

/** The detector state format this build restores. */
const DETECTOR_STATE_VERSION = createDetector().snapshot().version;

/**
 * The snapshot file, checked before anything is restored from it. A device's detector state is
 * opaque here except for its `version`; the detector's own restore checks the rest. A device
 * entry that fails is logged and that device starts fresh; a file that fails as a whole, too.
 */
const SnapshotDeviceSchema = z.object({
  site: z.string().min(1),
  deviceId: z.string().min(1),
  lastSeq: z.number().int(),
  lastActuationAt: z.number(),
  detector: z.looseObject({ version: z.number() }),
  episode: EpisodeStateSchema.optional(),
});
const SnapshotSchema = z.object({
  version: z.literal(1),
  savedAt: z.number(),
  detectorConfig: z.string(),
  devices: z.array(z.unknown()),
});
type Snapshot = Omit<z.infer<typeof SnapshotSchema>, 'devices'> & {
  devices: z.infer<typeof SnapshotDeviceSchema>[];
};

/**
 * The settings a learned state depends on. Severity thresholds only grade scores (here, with
 * the configuration in force), so new thresholds — what retraining pushes — keep what was learned.
 */
const modelSettings = (c: DetectorConfig): string => JSON.stringify({ ...c, severity: undefined });
/** Readings of a window may arrive this late (the devices' batching) before the window is closed. */
const WINDOW_GRACE_MS = 5000;

/**
 * The edge anomaly detector: one multivariate detector per device on the local sensor topics.
 * It sends the cloud one aggregates message per device and window plus the anomaly events,
 * instead of every reading; on a critical anomaly, or when a measure comes close to its safety
 * limit, it commands the device locally at once, without a round trip to the cloud.
 */
export class AnomalyDetectorComponent {
  private config: EdgeConfig;
  private detectorConfig: DetectorConfig;
  private readonly devices = new Map<string, DeviceState>();
  private readonly outbox: CloudOutbox;
  private readonly clock: () => number;
  private readonly log: EdgeLogger;
  private unsubscribers: Unsubscribe[] = [];
  private windowTimer: NodeJS.Timeout | undefined;
  private snapshotTimer: NodeJS.Timeout | undefined;
  private counters = {
    messages: 0,
    readings: 0,
    rejected: 0,
    duplicates: 0,
    events: 0,
    eventsHeld: 0,
    aggregates: 0,
    actuations: 0,
  };

  constructor(private readonly options: AnomalyDetectorOptions) {
    const { config, detector } = parseEdgeConfig(options.config);
    this.config = config;
    this.detectorConfig = detector;
    this.clock = options.clock ?? Date.now;
    this.log = options.logger ?? (() => {});
    mkdirSync(options.stateDir, { recursive: true });
    this.outbox = new CloudOutbox(
      options.transport,
      join(options.stateDir, 'outbox'),
      config.maxOutboxMessages,
      this.log,
    );
    this.restore();
  }

  get currentConfig(): EdgeConfig {
    return this.config;
  }

  /** Subscribes to the sensor topics and starts the window and snapshot timers. */
  async start(): Promise<void> {
    await this.subscribe();
    this.startTimers();
    this.outbox.pump();
  }

  /**
   * Stops listening, closes the open windows, writes the snapshot and gives the cloud up to
   * `drainTimeoutMs` to take what is queued; the rest stays on disk for the next start.
   */
  async stop(drainTimeoutMs = 3000): Promise<void> {
    clearInterval(this.windowTimer);
    clearInterval(this.snapshotTimer);
    await this.unsubscribe();
    this.flushWindows(Number.POSITIVE_INFINITY);
    this.saveSnapshot();
    await this.outbox.drain(drainTimeoutMs);
    this.outbox.close();
  }

  /**
   * Applies a new configuration while running (a deployment's merge). Topics are re-subscribed
   * when they change; new severity thresholds apply to the next score; other new detector
   * settings restart learning, since a learned state belongs to the settings it was learned with.
   */
  async applyConfig(raw: unknown): Promise<void> {
    const { config, detector } = parseEdgeConfig(raw);
    const topicsChanged = JSON.stringify(config.sensorTopics) !== JSON.stringify(this.config.sensorTopics);
    const detectorChanged = modelSettings(detector) !== modelSettings(this.detectorConfig);
    const windowChanged = config.windowMs !== this.config.windowMs;
    this.config = config;
    this.detectorConfig = detector;
    if (windowChanged) {
      this.flushWindows(Number.POSITIVE_INFINITY);
      this.startTimers();
    }
    if (detectorChanged) {
      for (const d of this.devices.values()) d.detector = createDetector(detector);
      this.log('info', `detector settings changed: ${this.devices.size} detectors restart learning`);
    }
    if (topicsChanged) {
      await this.unsubscribe();
      await this.subscribe();
    }
  }

  stats(): AnomalyDetectorStats {
    return {
      ...this.counters,
      cloudSent: this.outbox.sent,
      cloudQueued: this.outbox.queued,
      cloudDropped: this.outbox.dropped,
      devices: this.devices.size,
    };
  }

  /** Processes one message from a sensor topic. */
  handleMessage(topic: string, payload: Buffer | string): void {
    this.counters.messages++;
    const t = parseDeviceTopic(topic);
    const now = this.clock();
    const parsed = parseTelemetry(payload, {
      now,
      topic: t && t.direction === 'dt' ? { site: t.site, deviceId: t.deviceId } : undefined,
    });
    if (!parsed.ok) {
      this.counters.rejected++;
      this.log('warn', `rejected a message on ${topic}: ${parsed.reason}`);
      return;
    }
    const msg = parsed.value;
    const key = `${msg.site}/${msg.deviceId}`;
    let device = this.devices.get(key);
    if (!device) {
      device = {
        site: msg.site,
        deviceId: msg.deviceId,
        detector: createDetector(this.detectorConfig),
        lastSeq: -1,
        lastActuationAt: Number.NEGATIVE_INFINITY,
        nearLimit: false,
      };
      this.devices.set(key, device);
    }
    if (msg.seq <= device.lastSeq) {
      this.counters.duplicates++;
      return;
    }
    device.lastSeq = msg.seq;
    const windowMs = this.config.windowMs;
    for (const reading of msg.readings) {
      this.counters.readings++;
      const a = assessReading(reading, device, { edge: this.config, detector: this.detectorConfig });

      if (device.window && reading.ts >= device.window.windowEnd) this.closeWindow(device);
      if (!device.window) {
        const start = Math.floor(reading.ts / windowMs) * windowMs;
        device.window = new WindowAggregate(start, start + windowMs);
      }
      device.window.units = msg.units;
      device.window.add(reading.values, a.score);
      if (a.anomalous) device.window.anomalies++;
      if (a.held) this.counters.eventsHeld++;
      if (a.event) {
        this.sendEvent(device, reading.ts, a.score, a.event.severity, reading.values, a.event.episodeStart);
      }
      if (a.actuate)
        this.actuate(device, now, reading.ts, a.score, a.event?.severity ?? a.severity, a.actuate);
    }
  }

  /** Sends the aggregates of every window that ended before `now` (minus a grace for late readings). */
  flushWindows(now: number = this.clock()): void {
    for (const d of this.devices.values()) {
      if (d.window && d.window.windowEnd + WINDOW_GRACE_MS <= now) this.closeWindow(d);
    }
  }

  /** Writes the detectors' state to disk (atomically), so a restart resumes rather than relearns. */
  saveSnapshot(): void {
    const snapshot: Snapshot = {
      version: 1,
      savedAt: this.clock(),
      detectorConfig: modelSettings(this.detectorConfig),
      devices: [...this.devices.values()].map((d) => ({
        site: d.site,
        deviceId: d.deviceId,
        lastSeq: d.lastSeq,
        lastActuationAt: Number.isFinite(d.lastActuationAt) ? d.lastActuationAt : -1,
        detector: d.detector.snapshot() as unknown as Snapshot['devices'][number]['detector'],
        ...(d.episode && { episode: d.episode }),
      })),
    };
    const path = join(this.options.stateDir, 'detectors.json');
    writeFileSync(`${path}.tmp`, JSON.stringify(snapshot), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }

  private restore(): void {
    const path = join(this.options.stateDir, 'detectors.json');
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.log('warn', `detector snapshot ${path} unreadable (${(e as Error).message}); starting fresh`);
      }
      return;
    }
    const file = SnapshotSchema.safeParse(raw);
    if (!file.success) {
      this.log('warn', `detector snapshot ${path} refused (${issues(file.error)}); starting fresh`);
      return;
    }
    const snapshot = file.data;
    const sameSettings = snapshot.detectorConfig === modelSettings(this.detectorConfig);
    for (const [i, entry] of snapshot.devices.entries()) {
      const parsed = SnapshotDeviceSchema.safeParse(entry);
      if (!parsed.success) {
        this.log(
          'warn',
          `detector snapshot entry ${i} refused (${issues(parsed.error)}); that device starts fresh`,
        );
        continue;
      }
      const d = parsed.data;
      let detector: Detector;
      if (!sameSettings) detector = createDetector(this.detectorConfig);
      else if (d.detector.version !== DETECTOR_STATE_VERSION) {
        this.log(
          'warn',
          `detector state of ${d.deviceId} is version ${d.detector.version}, this detector reads ${DETECTOR_STATE_VERSION}; it relearns`,
        );
        detector = createDetector(this.detectorConfig);
      } else {
        try {
          detector = restoreDetector(d.detector as unknown as DetectorState);
        } catch (e) {
          this.log('warn', `detector state of ${d.deviceId} refused (${(e as Error).message}); it relearns`);
          detector = createDetector(this.detectorConfig);
        }
      }
      this.devices.set(`${d.site}/${d.deviceId}`, {
        site: d.site,
        deviceId: d.deviceId,
        detector,
        lastSeq: d.lastSeq,
        lastActuationAt: d.lastActuationAt < 0 ? Number.NEGATIVE_INFINITY : d.lastActuationAt,
        nearLimit: false,
        ...(d.episode && { episode: d.episode }),
      });
    }
    this.log(
      'info',
      `restored ${this.devices.size} detectors from ${new Date(snapshot.savedAt).toISOString()}${sameSettings ? '' : ' (settings changed: they relearn)'}`,
    );
  }

  private closeWindow(d: DeviceState): void {
    const w = d.window;
    if (!w) return;
    d.window = undefined;
    this.counters.aggregates++;
    this.outbox.send(aggregatesTopic(d.site, d.deviceId), JSON.stringify(w.toMessage(d.site, d.deviceId)));
  }

  private sendEvent(
    d: DeviceState,
    ts: number,
    score: number,
    severity: Severity,
    values: Readonly<Record<string, number>>,
    episodeStart: number,
  ): void {
    const event: AnomalyEvent = {
      schema: EVENT_SCHEMA_VERSION,
      kind: 'anomaly',
      deviceId: d.deviceId,
      site: d.site,
      ts,
      score,
      severity,
      measures: { ...values },
      source: this.config.source,
      episodeStart,
    };
    this.counters.events++;
    this.outbox.send(eventsTopic(d.site, d.deviceId), JSON.stringify(event));
    this.options.onEvent?.(event);
  }

  private actuate(
    d: DeviceState,
    now: number,
    ts: number,
    score: number,
    severity: Severity,
    action: { readonly reason: string; readonly limit?: NearLimit },
  ): void {
    const a = this.config.actuation;
    if (!a.enabled || now - d.lastActuationAt < a.cooldownMs) return;
    d.lastActuationAt = now;
    const { reason, limit } = action;
    const command: Command = {
      schema: COMMAND_SCHEMA_VERSION,
      commandId: `edge-${d.deviceId}-${ts}`.slice(0, 128),
      issuedAt: now,
      deviceId: d.deviceId,
      params: {
        reason,
        score,
        severity,
        readingTs: ts,
        ...(limit && { measure: limit.measure, limit: limit.limit }),
      },
    };
    const topic = edgeCommandTopic(d.site, a.command);
    this.counters.actuations++;
    this.log('warn', `${d.deviceId}: ${a.command} (${reason})`);
    this.options.transport.publishLocal(topic, JSON.stringify(command)).catch((e: unknown) => {
      this.log('error', `${d.deviceId}: local ${a.command} could not be published: ${(e as Error).message}`);
    });
    this.options.onActuation?.(topic, command);
  }

  private async subscribe(): Promise<void> {
    for (const filter of this.config.sensorTopics) {
      const unsubscribe = await this.options.transport.subscribeLocal(filter, (topic, payload) => {
        try {
          this.handleMessage(topic, payload);
        } catch (e) {
          // A reading the detector cannot take (e.g. more measures than it follows) is refused
          // with its reason; the component keeps serving every other device.
          this.counters.rejected++;
          this.log('warn', `rejected a message on ${topic}: ${(e as Error).message}`);
        }
      });
      this.unsubscribers.push(unsubscribe);
    }
  }

  private async unsubscribe(): Promise<void> {
    const list = this.unsubscribers;
    this.unsubscribers = [];
    for (const u of list) await u().catch(() => {});
  }

  private startTimers(): void {
    clearInterval(this.windowTimer);
    clearInterval(this.snapshotTimer);
    this.windowTimer = setInterval(() => this.flushWindows(), Math.min(this.config.windowMs, 5000));
    this.snapshotTimer = setInterval(() => this.saveSnapshot(), this.config.snapshotIntervalMs);
    this.windowTimer.unref();
    this.snapshotTimer.unref();
  }
}

const issues = (e: z.ZodError) =>
  e.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
