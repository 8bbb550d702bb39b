import { EventEmitter } from 'node:events';
import type { Command, CommandName, CommandResponse } from '../core/commands';
import { ruleName } from '../core/rules';
import {
  DEVICE_ID_PATTERN,
  type Reading,
  SITE_PATTERN,
  TELEMETRY_LIMITS,
  TELEMETRY_SCHEMA_VERSION,
  type TelemetryMessage,
} from '../core/telemetry';
import {
  basicIngestTopic,
  commandFilter,
  commandResponseTopic,
  edgeCommandFilter,
  parseDeviceTopic,
  parseEdgeCommandTopic,
  splitBasicIngest,
  telemetryTopic,
} from '../core/topics';
import { CommandInbox, type CommandOutcome } from './commands';
import { type BrokerEndpoint, MqttLink } from './connection';
import { type ConnectionLimits, IOT_CORE_CONNECTION_LIMITS, PublishLimiter } from './limits';
import { ForwardQueue, type QueuedMessage, SequenceCounter } from './queue';

/** Sampling rates a `sampling-rate` command may set. */
export const SAMPLING_LIMITS = { minHz: 0.01, maxHz: 100 } as const;

export interface DeviceAgentOptions {
  /** Device id = MQTT client id = thing name. */
  readonly deviceId: string;
  readonly site: string;
  readonly broker: BrokerEndpoint;
  /** Unit of every measure the device reports, e.g. `{ bearing_temp_c: 'degC' }`. */
  readonly units: Readonly<Record<string, string>>;
  /** Where the store-and-forward queue and the sequence counter live (one directory per device). */
  readonly stateDir: string;
  /**
   * Deployment stage: names the telemetry rule for Basic Ingest.
   * @default 'dev'
   */
  readonly stage?: string;
  /**
   * `basic`: publish straight to the telemetry rule (`$aws/rules/<rule>/dt/…`, no broker charge);
   * `plain`: the plain telemetry topic (local brokers, where no rule engine sits behind `$aws/rules`).
   * Through a site's Greengrass core telemetry always goes on the plain topic: the core's bridge
   * relays it to IoT Core.
   * @default 'basic' on IoT Core (directly or as a site's fallback), 'plain' for a broker URL
   */
  readonly ingest?: 'basic' | 'plain';
  /**
   * Readings per message, and the longest a reading waits for its batch to fill.
   * @default { maxReadings: 10, maxDelayMs: 1000 }
   */
  readonly batch?: { readonly maxReadings?: number; readonly maxDelayMs?: number };
  /**
   * Most messages the store-and-forward queue holds before it drops (and counts) the oldest.
   * @default 10000
   */
  readonly maxQueuedMessages?: number;
  /**
   * Messages awaiting PUBACK at once.
   * @default 8
   */
  readonly maxInFlight?: number;
  /**
   * Initial sampling rate (Hz); `sampling-rate` commands change it.
   * @default 1
   */
  readonly samplingHz?: number;
  /**
   * The most the connection publishes per second (messages and bytes, over any sliding second).
   * @default IoT Core's per-connection quotas ({@link IOT_CORE_CONNECTION_LIMITS})
   */
  readonly publishLimits?: ConnectionLimits;
  /** Whether the device takes commands (subscribes to its command topics). @default true */
  readonly commands?: boolean;
  /** Reconnection backoff bounds (seconds). @default { minS: 1, maxS: 16 } */
  readonly reconnect?: { readonly minS?: number; readonly maxS?: number };
  readonly logger?: AgentLogger;
  /** @default Date.now */
  readonly clock?: () => number;
}

export type AgentLogger = (level: 'info' | 'warn' | 'error', message: string) => void;

/** Counters of one agent; they only grow, except the gauges `queued`, `persisted` and `connected`. */
export interface AgentStats {
  readonly deviceId: string;
  readonly connected: boolean;
  readonly readings: number;
  readonly messages: number;
  readonly deliveredMessages: number;
  readonly deliveredReadings: number;
  readonly queued: number;
  readonly persisted: number;
  readonly droppedMessages: number;
  readonly droppedReadings: number;
  readonly reconnects: number;
  readonly commandsApplied: number;
  readonly commandsRejected: number;
  readonly lastSeq: number;
}

export interface AgentEvents {
  command: [name: CommandName, command: Command];
  dropped: [report: { seq: number; readings: number; totalReadings: number }];
  /** The broker acknowledged this message (PUBACK): from here it is the platform's to keep. */
  delivered: [message: QueuedMessage];
  up: [];
  down: [reason: string];
}

/**
 * The device agent: batches readings into telemetry messages with growing sequence numbers,
 * publishes them through a store-and-forward queue (replayed in order after a reconnection),
 * and applies the commands addressed to it, answering each on `…/res`.
 */
export class DeviceAgent extends EventEmitter<AgentEvents> {
  readonly deviceId: string;
  readonly site: string;
  readonly topic: string;
  private readonly link: MqttLink;
  private readonly queue: ForwardQueue;
  private readonly seq: SequenceCounter;
  private readonly clock: () => number;
  private readonly log: AgentLogger;
  private readonly maxReadings: number;
  private readonly maxDelayMs: number;
  private readonly maxInFlight: number;
  private batch: Reading[] = [];
  private batchTimer: NodeJS.Timeout | undefined;
  /** The first `sent` queued messages are on the wire awaiting PUBACK. */
  private sent = 0;
  /** Bumped on every connection change, so acknowledgements of an earlier connection are told apart. */
  private generation = 0;
  private online = true;
  private stopped = false;
  private drainWaiters: (() => void)[] = [];
  private readonly limiter: PublishLimiter;
  private limitTimer: NodeJS.Timeout | undefined;
  private readonly commands: CommandInbox;
  private hz: number;
  private safe = false;
  private counters = {
    readings: 0,
    messages: 0,
    deliveredMessages: 0,
    deliveredReadings: 0,
    reconnects: 0,
    commandsApplied: 0,
    commandsRejected: 0,
  };
  private everUp = false;

  constructor(private readonly options: DeviceAgentOptions) {
    super();
    if (!DEVICE_ID_PATTERN.test(options.deviceId)) {
      throw new Error(`device id "${options.deviceId}" must match ${DEVICE_ID_PATTERN}`);
    }
    if (!SITE_PATTERN.test(options.site))
      throw new Error(`site "${options.site}" must match ${SITE_PATTERN}`);
    if (Object.keys(options.units).length === 0)
      throw new Error('units: the device must declare its measures');
    this.deviceId = options.deviceId;
    this.site = options.site;
    this.clock = options.clock ?? Date.now;
    this.commands = new CommandInbox((name, command) => this.apply(name, command), this.clock);
    this.log = options.logger ?? (() => {});
    this.maxReadings = Math.min(options.batch?.maxReadings ?? 10, TELEMETRY_LIMITS.maxReadingsPerMessage);
    this.maxDelayMs = options.batch?.maxDelayMs ?? 1000;
    this.maxInFlight = options.maxInFlight ?? 8;
    this.hz = options.samplingHz ?? 1;
    this.limiter = new PublishLimiter(options.publishLimits ?? IOT_CORE_CONNECTION_LIMITS, this.clock);
    const ingest =
      options.ingest ??
      (options.broker.kind === 'iot-core' || options.broker.kind === 'greengrass' ? 'basic' : 'plain');
    const plain = telemetryTopic(options.site, options.deviceId);
    this.topic =
      ingest === 'basic' ? basicIngestTopic(ruleName(options.stage ?? 'dev', 'telemetry'), plain) : plain;

    this.queue = new ForwardQueue({ dir: options.stateDir, maxMessages: options.maxQueuedMessages }, (d) => {
      this.log(
        'warn',
        `${this.deviceId}: store-and-forward queue full, dropped message seq ${d.seq} (${d.weight} readings); ` +
          `${d.totalWeight} readings dropped so far`,
      );
      this.emit('dropped', { seq: d.seq, readings: d.weight, totalReadings: d.totalWeight });
    });
    this.seq = new SequenceCounter(options.stateDir, 1000, this.queue.lastSeq + 1);
    if (this.queue.length) {
      this.log(
        'info',
        `${this.deviceId}: ${this.queue.length} messages from an earlier run will be replayed`,
      );
    }
    this.link = new MqttLink(options.broker, {
      clientId: options.deviceId,
      reconnectMinS: options.reconnect?.minS,
      reconnectMaxS: options.reconnect?.maxS,
      onUp: () => this.onUp(),
      onPath: (path, where) =>
        this.log(
          'info',
          `${this.deviceId}: connected to ${path === 'core' ? 'the site core' : 'the broker'} at ${where}`,
        ),
      onDown: (reason) => this.onDown(reason),
    });
  }

  /** Current sampling rate (Hz). */
  get samplingHz(): number {
    return this.hz;
  }

  get safeMode(): boolean {
    return this.safe;
  }

  get connected(): boolean {
    return this.link.connected;
  }

  /** Connects and subscribes to the device's commands; resolves once connected. */
  async start(): Promise<void> {
    this.stopped = false;
    if (this.options.commands !== false) {
      const onCommand = (t: string, p: Buffer) => this.onCommand(t, p);
      await this.link.subscribe(commandFilter(this.site, this.deviceId), onCommand);
      // The site's edge commands come from a Greengrass core's broker (or a local one), never IoT Core.
      await this.link.subscribe(edgeCommandFilter(this.site), onCommand, ['core', 'broker']);
    }
    await this.link.open();
  }

  /** Adds one reading; the batch goes out when full or `maxDelayMs` after its first reading. */
  record(ts: number, values: Readonly<Record<string, number>>): void {
    if (this.stopped) throw new Error(`${this.deviceId}: agent is stopped`);
    for (const name in values) {
      if (!(name in this.options.units))
        throw new Error(`measure "${name}" has no unit; declare it in units`);
    }
    this.batch.push({ ts: Math.round(ts), values: { ...values } });
    this.counters.readings++;
    if (this.batch.length >= this.maxReadings) this.flush();
    else this.batchTimer ??= setTimeout(() => this.flush(), this.maxDelayMs);
  }

  /** Closes the current batch into a message and queues it. */
  flush(): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (this.batch.length === 0) return;
    const readings = this.batch;
    this.batch = [];
    const message: TelemetryMessage = {
      schema: TELEMETRY_SCHEMA_VERSION,
      deviceId: this.deviceId,
      site: this.site,
      seq: this.seq.take(),
      units: { ...this.options.units },
      readings,
    };
    this.queue.push({
      seq: message.seq,
      topic: this.topic,
      body: JSON.stringify(message),
      weight: readings.length,
    });
    this.counters.messages++;
    this.pump();
  }

  /** Drops the connection and keeps queueing (to disk) until {@link goOnline}: a network outage. */
  async goOffline(): Promise<void> {
    this.online = false;
    await this.link.close();
  }

  async goOnline(): Promise<void> {
    this.online = true;
    if (!this.stopped) await this.link.open();
  }

  /**
   * Flushes, waits up to `drainTimeoutMs` for the queue to empty, then disconnects. What is
   * still queued is written to disk and replayed by the next start.
   */
  async stop(drainTimeoutMs = 5000): Promise<void> {
    this.flush();
    if (this.queue.length && this.link.connected) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, drainTimeoutMs);
        this.drainWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.stopped = true;
    clearTimeout(this.limitTimer);
    this.limitTimer = undefined;
    await this.link.close();
    this.queue.persistAll();
    this.seq.save();
  }

  stats(): AgentStats {
    const dropped = this.queue.dropped;
    return {
      deviceId: this.deviceId,
      connected: this.link.connected,
      ...this.counters,
      queued: this.queue.length + (this.batch.length ? 1 : 0),
      persisted: this.queue.persisted,
      droppedMessages: dropped.messages,
      droppedReadings: dropped.weight,
      lastSeq: this.seq.peek() - 1,
    };
  }

  private onUp(): void {
    this.generation++;
    this.sent = 0;
    if (this.everUp) {
      this.counters.reconnects++;
      this.log('info', `${this.deviceId}: reconnected, replaying ${this.queue.length} queued messages`);
    }
    this.everUp = true;
    this.emit('up');
    this.pump();
  }

  private onDown(reason: string): void {
    this.generation++;
    this.sent = 0;
    // From here until the link is back, nothing pending may be lost to a crash.
    this.queue.setDurable(true);
    if (!this.stopped && this.online) this.log('warn', `${this.deviceId}: connection lost (${reason})`);
    this.emit('down', reason);
  }

  private pump(): void {
    if (!this.link.connected || this.limitTimer) return;
    while (this.sent < this.maxInFlight) {
      const m = this.queue.at(this.sent);
      if (!m) break;
      const topic = this.wireTopic(m.topic);
      // Over the connection's quota, IoT Core would discard the publish: wait for room instead.
      const waitMs = this.limiter.take(Buffer.byteLength(topic) + Buffer.byteLength(m.body));
      if (waitMs > 0) {
        this.limitTimer = setTimeout(() => {
          this.limitTimer = undefined;
          this.pump();
        }, waitMs);
        break;
      }
      this.sent++;
      const generation = this.generation;
      this.link.publish(topic, m.body).then(
        () => this.onAck(m),
        () => this.onPublishFailed(generation),
      );
    }
  }

  /**
   * The topic a queued message goes out on over the current connection: a site's core takes the
   * plain telemetry topic (its device policy and bridge know no Basic Ingest), IoT Core the one
   * it was queued with.
   */
  private wireTopic(topic: string): string {
    return this.link.path === 'core' ? (splitBasicIngest(topic)?.topic ?? topic) : topic;
  }

  private onAck(m: QueuedMessage): void {
    const index = this.queue.ack(m.seq);
    if (index < 0) return;
    // Positions shift when a message inside the sent window goes, whichever connection sent it.
    if (index < this.sent) this.sent--;
    this.counters.deliveredMessages++;
    this.counters.deliveredReadings += m.weight;
    this.emit('delivered', m);
    if (this.queue.length === 0) {
      this.queue.setDurable(false);
      for (const w of this.drainWaiters.splice(0)) w();
    }
    this.pump();
  }

  private onPublishFailed(generation: number): void {
    // A publish failing on a live connection (a timeout): send the window again; downstream
    // deduplicates by (device, seq). Failures of an earlier connection are handled by onUp.
    if (generation !== this.generation || !this.link.connected) return;
    this.generation++;
    this.sent = 0;
    setTimeout(() => this.pump(), 500);
  }

  private onCommand(topic: string, payload: Buffer): void {
    let name: string;
    let addressedTo: string | undefined;
    const edge = parseEdgeCommandTopic(topic);
    if (edge) {
      if (edge.site !== this.site) return;
      name = edge.command;
      addressedTo = this.deviceId;
    } else {
      const t = parseDeviceTopic(topic);
      if (t?.direction !== 'cmd' || t.response || t.deviceId !== this.deviceId) return;
      name = t.leaf;
    }
    const received = this.commands.receive(name, payload, addressedTo);
    if (!received) return;
    const { response, repeat } = received;
    if (!repeat) {
      if (response.status === 'ok') this.counters.commandsApplied++;
      else this.counters.commandsRejected++;
    }
    void this.respond(name, response);
  }

  /** Applies a valid command to the device (its state, its listeners). */
  private apply(name: CommandName, command: Command): CommandOutcome {
    switch (name) {
      case 'safe-mode':
        this.safe = true;
        this.emit('command', name, command);
        return { status: 'ok', detail: 'safe mode on: machine load reduced' };
      case 'resume':
        this.safe = false;
        this.emit('command', name, command);
        return { status: 'ok', detail: 'normal operation resumed' };
      case 'sampling-rate': {
        const hz = command.params.hz;
        if (typeof hz !== 'number' || !(hz >= SAMPLING_LIMITS.minHz && hz <= SAMPLING_LIMITS.maxHz)) {
          return {
            status: 'rejected',
            detail: `params.hz must be a number from ${SAMPLING_LIMITS.minHz} to ${SAMPLING_LIMITS.maxHz}`,
          };
        }
        this.hz = hz;
        this.emit('command', name, command);
        return { status: 'ok', detail: `sampling at ${hz} Hz` };
      }
    }
  }

  private async respond(command: string, response: CommandResponse): Promise<void> {
    const topic = commandResponseTopic(this.site, this.deviceId, command);
    try {
      await this.link.publish(topic, JSON.stringify(response));
    } catch (e) {
      this.log(
        'warn',
        `${this.deviceId}: could not answer command ${response.commandId}: ${(e as Error).message}`,
      );
    }
  }
}
