import { ForwardQueue } from '../../device/queue';
import type { EdgeTransport } from './transport';

export type EdgeLogger = (level: 'info' | 'warn' | 'error', message: string) => void;

/**
 * Messages for the cloud wait here, in order, until IoT Core takes them. While the cloud is out
 * of reach they are written to disk (bounded; a drop is counted and logged) and sent when it
 * is back, oldest first.
 */
export class CloudOutbox {
  private readonly queue: ForwardQueue;
  private nextSeq: number;
  private sending = false;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  sent = 0;

  constructor(
    private readonly transport: EdgeTransport,
    dir: string,
    maxMessages: number,
    private readonly log: EdgeLogger,
    private readonly retryMs = 1000,
  ) {
    this.queue = new ForwardQueue({ dir, maxMessages }, (d) =>
      log('warn', `cloud outbox full: dropped message ${d.seq}; ${d.totalMessages} dropped so far`),
    );
    this.nextSeq = this.queue.lastSeq + 1;
    if (this.queue.length)
      log('info', `cloud outbox: ${this.queue.length} messages from an earlier run to send`);
  }

  get queued(): number {
    return this.queue.length;
  }

  get dropped(): number {
    return this.queue.dropped.messages;
  }

  send(topic: string, body: string): void {
    this.queue.push({ seq: this.nextSeq++, topic, body, weight: 1 });
    if (!this.transport.cloudReady()) this.queue.setDurable(true);
    this.pump();
  }

  /** Sends what is queued while the cloud takes it; on failure keeps it on disk and retries later. */
  pump(): void {
    if (this.sending || this.closed) return;
    const head = this.queue.at(0);
    if (!head) return;
    if (!this.transport.cloudReady()) {
      this.queue.setDurable(true);
      this.scheduleRetry();
      return;
    }
    this.sending = true;
    this.transport.publishCloud(head.topic, head.body).then(
      () => {
        this.sending = false;
        this.queue.ack(head.seq);
        this.sent++;
        if (this.queue.length === 0) this.queue.setDurable(false);
        this.pump();
      },
      (e: unknown) => {
        this.sending = false;
        this.queue.setDurable(true);
        this.log(
          'warn',
          `cloud publish failed (${(e as Error).message}); ${this.queue.length} messages held`,
        );
        this.scheduleRetry();
      },
    );
  }

  private scheduleRetry(): void {
    if (this.retry || this.closed) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.pump();
    }, this.retryMs);
  }

  /** Waits until everything queued is sent, or `timeoutMs` passes. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.pump();
    while (this.queue.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  /** Stops sending; what is left is written to disk for the next start. */
  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.queue.persistAll();
  }
}
