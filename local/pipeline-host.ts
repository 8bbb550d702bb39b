import * as path from 'node:path';
import type { EventLoopUtilization } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import type { AnomalyEvent } from '../core/events';
import { TopicMemo } from '../core/topics';
import type { StoreFault } from './store-faults';
import type { LoggedMessage } from './stream-log';
import { CrossingBatch, type PackedMessages, startTsWorker, stopWorker } from './threads';

export interface PipelineWorkerData {
  /** The runtime's SQLite file; the thread opens its own connection. */
  readonly dbFile: string;
  /** The stage the rule names are made for. */
  readonly stage: string;
  readonly batchWindowMs: number;
  /** Report each stored message's newest reading time (for latency benchmarks). */
  readonly reportStoredTimes: boolean;
  /** See {@link PipelineHostOptions.clockStartMs}. */
  readonly clockStartMs?: number;
  /** See {@link PipelineHostOptions.storeFaults}. */
  readonly storeFaults?: readonly StoreFault[];
}

/** What the thread has done since its last report. */
export interface PipelineProgress {
  /** Messages whose content reached the store (readings written, anomaly events recorded). */
  stored: number;
  readingsStored: number;
  /** Messages kept in the quarantine with a reason (by a rule, the event router, the stream processor, or as dead letters). */
  quarantined: number;
  /** Records the stream processor kept failing on. */
  deadLettered: number;
  /** Messages the rules are done with (their records may still be in the stream). */
  dispatched: number;
  /** Records the rules put on the stream. */
  put: number;
  /** Records that left the stream (processed or dead-lettered). */
  settled: number;
}

/** Nothing done yet. */
export const emptyProgress = (): PipelineProgress => ({
  stored: 0,
  readingsStored: 0,
  quarantined: 0,
  deadLettered: 0,
  dispatched: 0,
  put: 0,
  settled: 0,
});

export type HostToPipeline =
  | { type: 'messages'; batch: PackedMessages; clientIds: string[]; receivedAt: number[]; ids: number[] }
  | { type: 'stop' };

export type PipelineToHost =
  | { type: 'started' | 'stopped' }
  /** `done`: the stream-log ids of the messages finished (stored or quarantined) since the last report. */
  | { type: 'progress'; progress: PipelineProgress; done: number[] }
  | { type: 'anomaly'; event: AnomalyEvent }
  | { type: 'command-ack'; topic: string; payload: unknown }
  | { type: 'stored-times'; at: number; times: number[] }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export interface PipelineHostOptions {
  readonly dbFile: string;
  /** The stage the rule names are made for (Basic Ingest topics name it). */
  readonly stage: string;
  /** How long a shard of the stream waits to fill a batch. @default 20 */
  readonly batchWindowMs?: number;
  /**
   * The thread's clock reads this (epoch ms) when it starts and then advances with real time, so
   * that what it checks against the time (how old a reading may be) does not depend on the day.
   * @default the wall clock
   */
  readonly clockStartMs?: number;
  /** Faults the thread's store goes through (the reliability benchmark). @default none */
  readonly storeFaults?: readonly StoreFault[];
  /** Told what the thread did, as it reports it, with the stream-log ids of the messages it finished. */
  readonly onProgress: (progress: PipelineProgress, done: readonly number[]) => void;
  /** An anomaly the stream path's scoring found (already stored as an event). */
  readonly onAnomaly: (event: AnomalyEvent) => void;
  /** A device's answer to a safe-mode command, as the acknowledgement rule delivers it. */
  readonly onCommandAck?: (topic: string, payload: unknown) => void;
  readonly log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * What happens behind the broker — the rules, the stream, the stream processor, the store's
 * writes, the stream path's scoring and the event router (`local/pipeline.ts`) — on a
 * thread of its own, so that it does not share the broker's event loop. Messages taken within a few
 * milliseconds cross to the thread in one message, their payloads packed into one
 * transferred buffer ({@link CrossingBatch}).
 */
export class PipelineHost {
  private readonly crossing = new CrossingBatch<{ clientId: string; receivedAt: number; id: number }>(
    (batch, extras) => {
      const message: HostToPipeline = {
        type: 'messages',
        batch,
        clientIds: extras.map((e) => e.clientId),
        receivedAt: extras.map((e) => e.receivedAt),
        ids: extras.map((e) => e.id),
      };
      this.worker.postMessage(message, [batch.bytes]);
    },
  );
  private sent = 0;
  private dispatched = 0;
  private put = 0;
  private settled = 0;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly storedListeners: ((at: number, times: readonly number[]) => void)[] = [];
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly options: PipelineHostOptions,
  ) {}

  static start(options: PipelineHostOptions & { reportStoredTimes?: boolean }): Promise<PipelineHost> {
    const entry = path.join(__dirname, 'pipeline-worker.ts');
    const data: PipelineWorkerData = {
      dbFile: options.dbFile,
      stage: options.stage,
      batchWindowMs: options.batchWindowMs ?? 20,
      reportStoredTimes: options.reportStoredTimes ?? false,
      clockStartMs: options.clockStartMs,
      storeFaults: options.storeFaults,
    };
    const worker = startTsWorker(entry, data);
    const host = new PipelineHost(worker, options);
    return new Promise((resolve, reject) => {
      worker.on('message', (m: PipelineToHost) => {
        if (m.type === 'started') resolve(host);
        else host.receive(m);
      });
      worker.once('error', (e) => {
        options.log('error', `stream processor thread: ${e.message}`);
        reject(e);
      });
      worker.once('exit', (code) => {
        reject(new Error(`stream processor thread exited (${code}) before starting`));
        // Whatever it still held will not come back: let waiters go rather than hang.
        host.dispatched = host.sent;
        host.settled = host.put;
        host.wakeIdle();
      });
    });
  }

  private receive(m: PipelineToHost): void {
    switch (m.type) {
      case 'progress':
        // Counted first, so that whoever is told sees `pending` as of this report.
        this.dispatched += m.progress.dispatched;
        this.put += m.progress.put;
        this.settled += m.progress.settled;
        this.options.onProgress(m.progress, m.done);
        this.wakeIdle();
        break;
      case 'anomaly':
        this.options.onAnomaly(m.event);
        break;
      case 'command-ack':
        this.options.onCommandAck?.(m.topic, m.payload);
        break;
      case 'stored-times':
        for (const l of this.storedListeners) l(m.at, m.times);
        break;
      case 'log':
        this.options.log(m.level, m.message);
        break;
    }
  }

  /** Hands one message over to the rules; it crosses to the thread within a few milliseconds. */
  dispatch(m: LoggedMessage): void {
    if (this.stopped) throw new Error('the pipeline is stopped');
    this.crossing.add(m.topic, m.payload, { clientId: m.clientId, receivedAt: m.receivedAt, id: m.id });
    this.sent++;
  }

  /** Messages handed over and not yet through the rules, and records still in the stream. */
  get pending(): number {
    return this.sent - this.dispatched + this.put - this.settled;
  }

  /** Messages handed over to this thread so far. */
  get handedOver(): number {
    return this.sent;
  }

  /** The thread's event-loop utilization so far (cumulative; Node's `EventLoopUtilization`). */
  eventLoop(): EventLoopUtilization {
    return this.worker.performance.eventLoopUtilization();
  }

  /** Resolves once every message handed over so far is through the rules and out of the stream. */
  drained(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Called with each coalesced write's end time and its messages' newest reading times. */
  onStored(listener: (at: number, times: readonly number[]) => void): void {
    this.storedListeners.push(listener);
  }

  /** Lets what is queued finish, closes the thread's store connection and ends the thread. */
  stop(): Promise<void> {
    this.crossing.flush();
    this.stopped ??= stopWorker<PipelineToHost>(
      this.worker,
      { type: 'stop' } satisfies HostToPipeline,
      (m) => m.type === 'stopped',
      15_000,
    );
    return this.stopped;
  }

  private wakeIdle(): void {
    if (this.pending === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}

/**
 * Several pipeline threads, each with its own share of the topics (so one device's messages
 * always go to the same thread, in order), behind the one host's interface. Each thread writes
 * on its own connection; SQLite takes their transactions one at a time.
 */
export class PipelineGroup {
  /** FNV-1a of the topic: a cheap, stable spread of topics over the threads. */
  private readonly byTopic = new TopicMemo((topic) => {
    let h = 0x811c9dc5;
    for (let i = 0; i < topic.length; i++) h = Math.imul(h ^ topic.charCodeAt(i), 0x01000193);
    return this.threads[(h >>> 0) % this.threads.length]!;
  }, 100_000);

  private constructor(readonly threads: readonly PipelineHost[]) {}

  static async start(
    options: PipelineHostOptions & { reportStoredTimes?: boolean; threads: number },
  ): Promise<PipelineGroup> {
    const hosts: PipelineHost[] = [];
    try {
      for (let i = 0; i < Math.max(1, options.threads); i++) hosts.push(await PipelineHost.start(options));
    } catch (e) {
      await Promise.all(hosts.map((h) => h.stop()));
      throw e;
    }
    return new PipelineGroup(hosts);
  }

  /** Hands one message over to the rules on its topic's thread. */
  dispatch(m: LoggedMessage): void {
    this.byTopic.get(m.topic).dispatch(m);
  }

  /** Messages handed over and not yet through the rules, and records still in the streams. */
  get pending(): number {
    return this.threads.reduce((n, t) => n + t.pending, 0);
  }

  /** Resolves once every message handed over so far is through the rules and out of the streams. */
  async drained(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.drained()));
  }

  /** Called with each coalesced write's end time and its messages' newest reading times. */
  onStored(listener: (at: number, times: readonly number[]) => void): void {
    for (const t of this.threads) t.onStored(listener);
  }

  /** Each thread's event-loop utilization so far, by name (`pipeline-1`, …). */
  eventLoops(): Record<string, EventLoopUtilization> {
    return Object.fromEntries(this.threads.map((t, i) => [`pipeline-${i + 1}`, t.eventLoop()]));
  }

  async stop(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.stop()));
  }
}
