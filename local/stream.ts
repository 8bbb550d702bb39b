import { createHash } from 'node:crypto';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

export interface LocalStreamOptions {
  /** Shards; records with one partition key always land on the same shard, in order. @default 4 */
  readonly shards?: number;
  /** Most records per handler call. @default 100 */
  readonly batchSize?: number;
  /** How long a shard waits to fill a batch. @default 50 */
  readonly batchWindowMs?: number;
  /** Retries of a failing record before it goes to the dead-letter list. @default 3 */
  readonly retryAttempts?: number;
  /** Delay before a retry. @default 200 */
  readonly retryDelayMs?: number;
  readonly clock?: () => number;
  /** Told about every record that goes to the dead-letter list. */
  readonly onDeadLetter?: (deadLetter: DeadLetter) => void;
  /**
   * Told how many records were just processed or dead-lettered (they leave {@link LocalStream.pending}),
   * and the sequence numbers of those processed (a dead letter is told to {@link onDeadLetter}).
   */
  readonly onSettled?: (records: number, processed: readonly string[]) => void;
}

/** A record the handler kept failing, with what is known of the failure. */
export interface DeadLetter {
  readonly partitionKey: string;
  readonly sequenceNumber: string;
  readonly data: Buffer;
  readonly attempts: number;
  readonly reason: string;
}

type Handler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | undefined>;

interface Shard {
  readonly id: number;
  readonly queue: KinesisStreamRecord[];
  running: boolean;
  attempts: number;
}

/**
 * A local stand-in for the Kinesis stream and its event source mapping, feeding the very
 * stream-processor handler: records are sharded by partition key (one key keeps its order),
 * batched, delivered as Kinesis events with base64 data, and `batchItemFailures` are honoured —
 * the batch resumes from the first failed record, which is retried, and after the retries goes
 * to the dead-letter list (the SQS on-failure destination in AWS).
 */
export class LocalStream {
  private readonly shards: Shard[];
  private readonly batchSize: number;
  private readonly batchWindowMs: number;
  private readonly retryAttempts: number;
  private readonly retryDelayMs: number;
  private readonly clock: () => number;
  private readonly onDeadLetter?: (deadLetter: DeadLetter) => void;
  private readonly onSettled?: (records: number, processed: readonly string[]) => void;
  private readonly deadLetters: DeadLetter[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private readonly shardByKey = new Map<string, Shard>();
  private sequence = 0;
  private inFlight = 0;
  private stopped = false;

  constructor(
    private readonly handler: Handler,
    opts: LocalStreamOptions = {},
  ) {
    this.shards = Array.from({ length: opts.shards ?? 4 }, (_, id) => ({
      id,
      queue: [],
      running: false,
      attempts: 0,
    }));
    this.batchSize = opts.batchSize ?? 100;
    this.batchWindowMs = opts.batchWindowMs ?? 50;
    this.retryAttempts = opts.retryAttempts ?? 3;
    this.retryDelayMs = opts.retryDelayMs ?? 200;
    this.clock = opts.clock ?? Date.now;
    this.onDeadLetter = opts.onDeadLetter;
    this.onSettled = opts.onSettled;
  }

  /** Puts one record (Kinesis PutRecord); returns its sequence number. */
  put(partitionKey: string, data: Uint8Array): string {
    if (this.stopped) throw new Error('the local stream is stopped');
    const shard = this.shardOf(partitionKey);
    const seq = String(++this.sequence).padStart(21, '0');
    shard.queue.push({
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-${String(shard.id).padStart(12, '0')}:${seq}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/local',
      awsRegion: 'local',
      eventSourceARN: 'arn:aws:kinesis:local:000000000000:stream/telemetry',
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey,
        sequenceNumber: seq,
        data: Buffer.from(data).toString('base64'),
        approximateArrivalTimestamp: this.clock() / 1000,
      },
    });
    this.inFlight++;
    this.schedule(shard, this.batchWindowMs);
    return seq;
  }

  /** Kinesis hashes the partition key with MD5; a device's key is hashed once. */
  private shardOf(partitionKey: string): Shard {
    let shard = this.shardByKey.get(partitionKey);
    if (!shard) {
      const digest = createHash('md5').update(partitionKey).digest();
      shard = this.shards[digest.readUInt32BE(0) % this.shards.length]!;
      if (this.shardByKey.size >= 100_000) this.shardByKey.clear();
      this.shardByKey.set(partitionKey, shard);
    }
    return shard;
  }

  /** Records put and not yet processed or dead-lettered. */
  get pending(): number {
    return this.inFlight;
  }

  dead(): readonly DeadLetter[] {
    return this.deadLetters;
  }

  /** Resolves once every record put so far is processed or dead-lettered. */
  drained(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking records; what is queued is still processed (await {@link drained}). */
  stop(): void {
    this.stopped = true;
  }

  private schedule(shard: Shard, delayMs: number): void {
    if (shard.running) return;
    shard.running = true;
    const wait = shard.queue.length >= this.batchSize ? 0 : delayMs;
    setTimeout(() => void this.pump(shard), wait);
  }

  private async pump(shard: Shard): Promise<void> {
    const batch = shard.queue.slice(0, this.batchSize);
    let done = batch.length;
    let failure: string | undefined;
    try {
      const res = await this.handler({ Records: batch });
      const failed = res?.batchItemFailures ?? [];
      if (failed.length > 0) {
        // Kinesis semantics: everything from the lowest failed sequence number is retried.
        const first = Math.min(
          ...failed.map((f) => batch.findIndex((r) => r.kinesis.sequenceNumber === f.itemIdentifier)),
        );
        done = Math.max(first, 0);
        failure = 'the handler reported the record as failed';
      }
    } catch (e) {
      done = 0;
      failure = `the handler threw: ${(e as Error).message}`;
    }
    this.complete(shard, done);
    if (failure !== undefined) {
      shard.attempts++;
      if (shard.attempts > this.retryAttempts) {
        const r = shard.queue.shift()!;
        const dead: DeadLetter = {
          partitionKey: r.kinesis.partitionKey,
          sequenceNumber: r.kinesis.sequenceNumber,
          data: Buffer.from(r.kinesis.data, 'base64'),
          attempts: shard.attempts,
          reason: failure,
        };
        this.deadLetters.push(dead);
        this.onDeadLetter?.(dead);
        shard.attempts = 0;
        this.settle(1, []);
      }
    }
    shard.running = false;
    if (shard.queue.length > 0)
      this.schedule(shard, failure !== undefined ? this.retryDelayMs : this.batchWindowMs);
  }

  private complete(shard: Shard, n: number): void {
    if (n <= 0) return;
    const processed = shard.queue.splice(0, n);
    shard.attempts = 0;
    this.settle(
      n,
      processed.map((r) => r.kinesis.sequenceNumber),
    );
  }

  private settle(n: number, processed: readonly string[]): void {
    this.inFlight -= n;
    this.onSettled?.(n, processed);
    if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}
