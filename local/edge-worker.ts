/**
 * The Greengrass component's logic in its own thread, as on a gateway of its own. The runtime's
 * main thread plays the Greengrass nucleus: it hands the component the local messages its
 * subscriptions match, and carries its publishes to the devices (local) and to the rules (the
 * cloud), as IPC does on a core. Started by {@link EdgeHost}; `stop` drains it and ends the thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AnomalyDetectorComponent } from '../greengrass/anomaly-detector/component';
import { type Handler, TopicHandlers } from '../greengrass/anomaly-detector/topic-handlers';
import type { EdgeTransport, Unsubscribe } from '../greengrass/anomaly-detector/transport';
import type { EdgeToHost, EdgeWorkerData, HostToEdge } from './edge-host';
import { type PackedMessages, unpack } from './threads';

const port = parentPort!;
const data = workerData as EdgeWorkerData;
const post = (m: EdgeToHost) => port.postMessage(m);

/** The component's transport over the thread's message port, to the host acting as the nucleus. */
class NucleusTransport implements EdgeTransport {
  private readonly handlers = new TopicHandlers();
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 0;

  /** A batch of local messages from the host. */
  deliver(batch: PackedMessages): void {
    for (const { topic, payload } of unpack(batch)) this.handlers.deliver(topic, payload);
  }

  settle(id: number, error?: string): void {
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    if (error === undefined) w?.resolve();
    else w?.reject(new Error(error));
  }

  private request(m: Extract<EdgeToHost, { id: number }>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.set(m.id, { resolve, reject });
      post(m);
    });
  }

  async subscribeLocal(filter: string, onMessage: Handler): Promise<Unsubscribe> {
    const entry = this.handlers.add(filter, onMessage);
    await this.request({ type: 'subscribe', id: this.nextId++, filter });
    return async () => {
      entry.remove();
      await this.request({ type: 'unsubscribe', id: this.nextId++, filter });
    };
  }

  publishLocal(topic: string, payload: string): Promise<void> {
    return this.request({ type: 'publish', id: this.nextId++, topic, payload, cloud: false });
  }

  publishCloud(topic: string, payload: string): Promise<void> {
    return this.request({ type: 'publish', id: this.nextId++, topic, payload, cloud: true });
  }

  cloudReady(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}

async function main(): Promise<void> {
  const transport = new NucleusTransport();
  let stopping = false;
  port.on('message', (m: HostToEdge) => {
    if (m.type === 'deliver') transport.deliver(m.batch);
    else if (m.type === 'settled') transport.settle(m.id, m.error);
    else if (m.type === 'stop' && !stopping) {
      stopping = true;
      void stop();
    }
  });
  const edge = new AnomalyDetectorComponent({
    transport,
    stateDir: data.stateDir,
    logger: (level, message) => post({ type: 'log', level, message }),
  });
  const ticker = setInterval(() => post({ type: 'stats', stats: edge.stats() }), 250);
  async function stop(): Promise<void> {
    clearInterval(ticker);
    await edge.stop();
    await transport.close();
    post({ type: 'stopped', stats: edge.stats() });
    port.close();
  }
  await edge.start();
  post({ type: 'started', stats: edge.stats() });
}

main().catch((e: unknown) => post({ type: 'failed', message: (e as Error).message }));
