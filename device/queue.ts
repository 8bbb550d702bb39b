import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/** One message waiting to be delivered. */
export interface QueuedMessage {
  /** Position in the queue; grows with every message (the telemetry `seq` for the device agent). */
  readonly seq: number;
  readonly topic: string;
  readonly body: string;
  /** What the message carries, for drop accounting (readings for telemetry, 1 otherwise). */
  readonly weight: number;
}

export interface ForwardQueueOptions {
  /** Directory of the on-disk part; created if missing. Messages left there by an earlier run are loaded. */
  readonly dir: string;
  /**
   * Most messages held; when full, the oldest is dropped (the newest data matters most to
   * detection) and counted.
   * @default 10000
   */
  readonly maxMessages?: number;
}

/** What a drop removed, for the warning that reports it. */
export interface DropReport {
  readonly seq: number;
  readonly weight: number;
  readonly totalMessages: number;
  readonly totalWeight: number;
}

const FILE_SUFFIX = '.msg.json';
const fileName = (seq: number) => `${String(seq).padStart(16, '0')}${FILE_SUFFIX}`;

/**
 * Store-and-forward queue: messages wait here, in order, until the broker acknowledges them.
 *
 * While the link is up, messages live in memory only (a write per message would cost more than
 * the message). When the link goes down the queue is made durable: what is pending is written
 * to disk and every new message too, so an outage — or a restart during one — loses nothing.
 * The bound is a message count; hitting it drops the oldest message and counts it, never silently.
 */
export class ForwardQueue {
  private readonly items: QueuedMessage[] = [];
  private readonly onDisk = new Set<number>();
  private readonly maxMessages: number;
  private durable = false;
  private droppedMessages = 0;
  private droppedWeight = 0;

  constructor(
    private readonly options: ForwardQueueOptions,
    private readonly onDrop: (report: DropReport) => void = () => {},
  ) {
    this.maxMessages = options.maxMessages ?? 10_000;
    if (!Number.isInteger(this.maxMessages) || this.maxMessages < 1) {
      throw new Error(`queue: maxMessages must be a positive integer, got ${options.maxMessages}`);
    }
    mkdirSync(options.dir, { recursive: true });
    for (const name of readdirSync(options.dir)
      .filter((n) => n.endsWith(FILE_SUFFIX))
      .sort()) {
      const path = join(options.dir, name);
      try {
        const m = JSON.parse(readFileSync(path, 'utf8')) as QueuedMessage;
        this.items.push(m);
        this.onDisk.add(m.seq);
      } catch {
        // A file cut short by a crash mid-write holds no complete message; its data was never acknowledged
        // as queued, so removing it loses nothing that was promised.
        unlinkSync(path);
      }
    }
    while (this.items.length > this.maxMessages) this.dropOldest();
  }

  get length(): number {
    return this.items.length;
  }

  /** Messages currently written to disk. */
  get persisted(): number {
    return this.onDisk.size;
  }

  /** Highest sequence number held (-1 when empty). */
  get lastSeq(): number {
    return this.items.length ? this.items[this.items.length - 1]!.seq : -1;
  }

  get dropped(): { readonly messages: number; readonly weight: number } {
    return { messages: this.droppedMessages, weight: this.droppedWeight };
  }

  /** The message at `index` from the head (0 = oldest). */
  at(index: number): QueuedMessage | undefined {
    return this.items[index];
  }

  push(message: QueuedMessage): void {
    if (this.items.length && message.seq <= this.lastSeq) {
      throw new Error(`queue: seq ${message.seq} does not follow ${this.lastSeq}`);
    }
    if (this.items.length >= this.maxMessages) this.dropOldest();
    this.items.push(message);
    if (this.durable) this.write(message);
  }

  /** Removes an acknowledged message; returns its index, or -1 if it was not held (already acknowledged). */
  ack(seq: number): number {
    const index = this.indexOf(seq);
    if (index < 0) return -1;
    this.items.splice(index, 1);
    this.unlink(seq);
    return index;
  }

  /**
   * Durable mode on: everything pending goes to disk now and every later message as it comes.
   * Off: later messages stay in memory; files already written go away as they are acknowledged.
   */
  setDurable(on: boolean): void {
    this.durable = on;
    if (on) for (const m of this.items) if (!this.onDisk.has(m.seq)) this.write(m);
  }

  /** Writes everything pending to disk (on shutdown, so the next run replays it). */
  persistAll(): void {
    for (const m of this.items) if (!this.onDisk.has(m.seq)) this.write(m);
  }

  private indexOf(seq: number): number {
    // Acknowledgements come nearly in order, so the message is almost always at the head.
    for (let i = 0; i < this.items.length; i++) if (this.items[i]!.seq === seq) return i;
    return -1;
  }

  private dropOldest(): void {
    const oldest = this.items.shift()!;
    this.unlink(oldest.seq);
    this.droppedMessages++;
    this.droppedWeight += oldest.weight;
    this.onDrop({
      seq: oldest.seq,
      weight: oldest.weight,
      totalMessages: this.droppedMessages,
      totalWeight: this.droppedWeight,
    });
  }

  private write(m: QueuedMessage): void {
    const fd = openSync(join(this.options.dir, fileName(m.seq)), 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(m));
    } finally {
      closeSync(fd);
    }
    this.onDisk.add(m.seq);
  }

  private unlink(seq: number): void {
    if (!this.onDisk.delete(seq)) return;
    try {
      unlinkSync(join(this.options.dir, fileName(seq)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

/**
 * A sequence counter that only grows, across restarts and crashes: it reserves blocks of numbers
 * on disk, so a crash skips at most the rest of a block and never repeats a number (a repeated
 * number would make downstream deduplication discard new readings).
 */
export class SequenceCounter {
  private next: number;
  private reservedUntil: number;
  private readonly path: string;

  constructor(
    dir: string,
    private readonly block = 1000,
    floor = 0,
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'seq');
    let stored = 0;
    try {
      stored = Number.parseInt(readFileSync(this.path, 'utf8'), 10) || 0;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    this.next = Math.max(stored, floor);
    this.reservedUntil = this.next;
  }

  /** Returns the next number. */
  take(): number {
    if (this.next >= this.reservedUntil) this.reserve(this.next + this.block);
    return this.next++;
  }

  /** The number {@link take} will return next. */
  peek(): number {
    return this.next;
  }

  /** Records the exact next number (on a clean shutdown, so no block is skipped). */
  save(): void {
    this.reserve(this.next);
  }

  private reserve(until: number): void {
    const fd = openSync(this.path, 'w', 0o600);
    try {
      writeSync(fd, String(until));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.reservedUntil = until;
  }
}
