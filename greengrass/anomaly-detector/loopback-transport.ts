import { topicMatches } from '../../core/topics';
import type { EdgeTransport, Unsubscribe } from './transport';

type Handler = (topic: string, payload: Buffer) => void;

/**
 * An in-process transport: a local bus with MQTT topic matching, and a cloud side that records
 * what was sent and can be taken offline. For running the component inside another process
 * (the edge benchmark, tests) without a broker.
 */
export class LoopbackTransport implements EdgeTransport {
  private readonly subscribers = new Set<{ filter: string; handler: Handler }>();
  /** What reached the cloud, in order. */
  readonly cloud: { topic: string; payload: string }[] = [];
  /** What was published locally, in order. */
  readonly local: { topic: string; payload: string }[] = [];
  online = true;

  async subscribeLocal(filter: string, onMessage: Handler): Promise<Unsubscribe> {
    const sub = { filter, handler: onMessage };
    this.subscribers.add(sub);
    return async () => {
      this.subscribers.delete(sub);
    };
  }

  /** Delivers a message on the local bus to every matching subscriber. */
  deliver(topic: string, payload: string | Buffer): void {
    const buf = typeof payload === 'string' ? Buffer.from(payload) : payload;
    for (const s of this.subscribers) if (topicMatches(s.filter, topic)) s.handler(topic, buf);
  }

  async publishLocal(topic: string, payload: string): Promise<void> {
    this.local.push({ topic, payload });
    this.deliver(topic, payload);
  }

  async publishCloud(topic: string, payload: string): Promise<void> {
    if (!this.online) throw new Error('cloud unreachable');
    this.cloud.push({ topic, payload });
  }

  cloudReady(): boolean {
    return this.online;
  }

  async close(): Promise<void> {
    this.subscribers.clear();
  }
}
