/**
 * What the runtime's worker threads share: starting one on a TypeScript entry, carrying
 * messages across in batches, and stopping one so that it can finish its work first.
 */
import { Worker } from 'node:worker_threads';

/**
 * Starts a thread on a TypeScript file, loaded through tsx as the runtime itself is. A larger
 * young generation: the threads allocate a little for every message, and fewer, larger
 * scavenges cost less in all.
 */
export function startTsWorker(entry: string, workerData: unknown): Worker {
  return new Worker(
    `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(entry)});`,
    {
      eval: true,
      workerData,
      resourceLimits: { maxYoungGenerationSizeMb: 96 },
    },
  );
}

/** One crossing: the messages' topics and their payloads packed into one transferable buffer. */
export interface PackedMessages {
  readonly topics: string[];
  readonly lengths: number[];
  readonly bytes: ArrayBuffer;
}

/** Splits a crossing back into its messages' payloads (views on the one buffer). */
export function* unpack(batch: PackedMessages): Generator<{ index: number; topic: string; payload: Buffer }> {
  const all = Buffer.from(batch.bytes);
  let offset = 0;
  for (let index = 0; index < batch.topics.length; index++) {
    const end = offset + batch.lengths[index]!;
    yield { index, topic: batch.topics[index]!, payload: all.subarray(offset, end) };
    offset = end;
  }
}

/**
 * Gathers messages for a thread and sends them across at most `delayMs` after the first one,
 * or as soon as `max` are waiting: a crossing costs both threads a fixed amount, so a few
 * milliseconds' worth in one is cheaper than one per turn of the event loop, and adds little
 * latency. `send` gets the packed batch and what was recorded beside each message.
 */
export class CrossingBatch<Extra> {
  private topics: string[] = [];
  private chunks: Uint8Array[] = [];
  private extras: Extra[] = [];
  private bytes = 0;

  constructor(
    private readonly send: (batch: PackedMessages, extras: Extra[]) => void,
    private readonly delayMs = 4,
    private readonly max = 1000,
  ) {}

  add(topic: string, payload: Uint8Array, extra: Extra): void {
    if (this.topics.length === 0) setTimeout(() => this.flush(), this.delayMs);
    else if (this.topics.length >= this.max - 1) setImmediate(() => this.flush());
    this.topics.push(topic);
    this.chunks.push(payload);
    this.extras.push(extra);
    this.bytes += payload.byteLength;
  }

  flush(): void {
    if (this.topics.length === 0) return;
    const packed = new Uint8Array(this.bytes);
    const lengths = new Array<number>(this.chunks.length);
    let offset = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      const c = this.chunks[i]!;
      packed.set(c, offset);
      lengths[i] = c.byteLength;
      offset += c.byteLength;
    }
    const batch: PackedMessages = { topics: this.topics, lengths, bytes: packed.buffer };
    const extras = this.extras;
    this.topics = [];
    this.chunks = [];
    this.extras = [];
    this.bytes = 0;
    this.send(batch, extras);
  }
}

/**
 * Asks a thread to stop and ends it once it says it has (`isStopped`), or after `timeoutMs`
 * whatever it is doing; resolves when the thread is gone.
 */
export function stopWorker<M>(
  worker: Worker,
  stopMessage: unknown,
  isStopped: (m: M) => boolean,
  timeoutMs: number,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => void worker.terminate().then(() => resolve()), timeoutMs);
    worker.on('message', (m: M) => {
      if (!isStopped(m)) return;
      clearTimeout(timer);
      void worker.terminate().then(() => resolve());
    });
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.postMessage(stopMessage);
  });
}
