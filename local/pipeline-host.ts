import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AnomalyEvent } from '../core/events';

export interface PipelineWorkerData {
  /** The runtime's SQLite file; the thread opens its own connection. */
  readonly dbFile: string;
  readonly batchWindowMs: number;
  /** Report each stored message's newest reading time (for latency benchmarks). */
  readonly reportStoredTimes: boolean;
}

/** What the thread has done since its last report. */
export interface PipelineProgress {
  /** Messages whose readings were written. */
  stored: number;
  readingsStored: number;
  /** Messages quarantined by the stream processor, and dead letters once kept in the quarantine. */
  quarantined: number;
  /** Records the stream processor kept failing on. */
  deadLettered: number;
  /** Records that left the stream (processed or dead-lettered). */
  settled: number;
}

export type HostToPipeline =
  | { type: 'put'; keys: string[]; lengths: number[]; bytes: ArrayBuffer }
  | { type: 'stop' };

export type PipelineToHost =
  | { type: 'started' | 'stopped' }
  | { type: 'progress'; progress: PipelineProgress }
  | { type: 'anomaly'; event: AnomalyEvent }
  | { type: 'stored-times'; at: number; times: number[] }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export interface PipelineHostOptions {
  readonly dbFile: string;
  /** How long a shard of the stream waits to fill a batch. @default 20 */
  readonly batchWindowMs?: number;
  /** Told what the thread did, as it reports it. */
  readonly onProgress: (progress: PipelineProgress) => void;
  /** An anomaly the stream path's scoring found (already stored as an event). */
  readonly onAnomaly: (event: AnomalyEvent) => void;
  readonly log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * The stream, the stream processor, the store's writes and the stream path's scoring
 * (`local/pipeline-worker.ts`) on their own thread, so that they do not share the broker's and
 * the rules engine's event loop. Records put in one turn of the event loop cross to the thread in
 * one message, their bytes packed into one transferred buffer.
 */
export class PipelineHost {
  private keys: string[] = [];
  private chunks: Uint8Array[] = [];
  private bytes = 0;
  private sent = 0;
  private settled = 0;
  private deadLettered = 0;
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
      batchWindowMs: options.batchWindowMs ?? 20,
      reportStoredTimes: options.reportStoredTimes ?? false,
    };
    const worker = new Worker(
      `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(entry)});`,
      // A larger young generation: the thread allocates a little for every record, and fewer,
      // larger scavenges cost less in all.
      { eval: true, workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 96 } },
    );
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
        host.settled = host.sent;
        host.wakeIdle();
      });
    });
  }

  private receive(m: PipelineToHost): void {
    switch (m.type) {
      case 'progress':
        this.deadLettered += m.progress.deadLettered;
        this.options.onProgress(m.progress);
        this.settled += m.progress.settled;
        this.wakeIdle();
        break;
      case 'anomaly':
        this.options.onAnomaly(m.event);
        break;
      case 'stored-times':
        for (const l of this.storedListeners) l(m.at, m.times);
        break;
      case 'log':
        this.options.log(m.level, m.message);
        break;
    }
  }

  /** Puts one record on the stream (Kinesis PutRecord); it crosses to the thread this turn. */
  put(partitionKey: string, data: Uint8Array): void {
    if (this.stopped) throw new Error('the local stream is stopped');
    if (this.keys.length === 0) setImmediate(() => this.flush());
    this.keys.push(partitionKey);
    this.chunks.push(data);
    this.bytes += data.byteLength;
    this.sent++;
  }

  private flush(): void {
    if (this.keys.length === 0) return;
    const packed = new Uint8Array(this.bytes);
    const lengths = new Array<number>(this.chunks.length);
    let offset = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      const c = this.chunks[i]!;
      packed.set(c, offset);
      lengths[i] = c.byteLength;
      offset += c.byteLength;
    }
    const message: HostToPipeline = { type: 'put', keys: this.keys, lengths, bytes: packed.buffer };
    this.worker.postMessage(message, [packed.buffer]);
    this.keys = [];
    this.chunks = [];
    this.bytes = 0;
  }

  /** Records put and not yet processed or dead-lettered. */
  get pending(): number {
    return this.sent - this.settled;
  }

  /** Records the stream processor kept failing on (kept in the quarantine). */
  get deadLetters(): number {
    return this.deadLettered;
  }

  /** Resolves once every record put so far is processed or dead-lettered. */
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
    this.flush();
    this.stopped ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => void this.worker.terminate().then(() => resolve()), 15_000);
      this.worker.on('message', (m: PipelineToHost) => {
        if (m.type !== 'stopped') return;
        clearTimeout(timer);
        void this.worker.terminate().then(() => resolve());
      });
      this.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.worker.postMessage({ type: 'stop' } satisfies HostToPipeline);
    });
    return this.stopped;
  }

  private wakeIdle(): void {
    if (this.pending === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}
