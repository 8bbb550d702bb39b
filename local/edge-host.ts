import * as path from 'node:path';
import type { EventLoopUtilization } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import { TopicMemo, topicMatches } from '../core/topics';
import type { AnomalyDetectorStats } from '../greengrass/anomaly-detector/component';
import { COMPONENT_NAME } from '../greengrass/anomaly-detector/config';
import {
  type AccessControl,
  IpcAuthorizer,
  type IpcOperation,
} from '../greengrass/anomaly-detector/ipc-authorization';
import { anomalyDetectorRecipe } from '../greengrass/anomaly-detector/recipe';
import type { InboundMessage } from './broker';
import { CrossingBatch, type PackedMessages, startTsWorker, stopWorker } from './threads';

export interface EdgeWorkerData {
  readonly stateDir: string;
}

export type EdgeToHost =
  | { type: 'started' | 'stats' | 'stopped'; stats: AnomalyDetectorStats }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'failed'; message: string }
  | { type: 'subscribe' | 'unsubscribe'; id: number; filter: string }
  | { type: 'publish'; id: number; topic: string; payload: string; cloud: boolean };

export type HostToEdge =
  | { type: 'deliver'; batch: PackedMessages }
  | { type: 'settled'; id: number; error?: string }
  | { type: 'stop' };

export interface EdgeHostOptions {
  readonly stateDir: string;
  /**
   * Carries a publish of the component: to the devices (`cloud` false, the local bus) or to
   * IoT Core (`cloud` true, where the rules take it); rejects when it cannot.
   */
  readonly publish: (topic: string, payload: string, cloud: boolean) => Promise<void>;
  readonly log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /**
   * The IPC authorization the nucleus applies to the component's subscriptions and publishes.
   * @default the accessControl of the recipe the component ships with
   */
  readonly accessControl?: AccessControl;
}

/** The accessControl of the component's own recipe, as a core receives it. */
export function shippedAccessControl(): AccessControl {
  const recipe = anomalyDetectorRecipe({ artifactUri: 's3://local/artifact.zip' }) as {
    ComponentConfiguration: { DefaultConfiguration: { accessControl: AccessControl } };
  };
  return recipe.ComponentConfiguration.DefaultConfiguration.accessControl;
}

/**
 * Runs the edge component (`local/edge-worker.ts`) on a thread of its own, so the gateway's
 * detectors do not share the broker's event loop — as on a real site, where the Greengrass
 * core is another machine. The host is the component's nucleus: {@link offer} hands it the
 * messages its subscriptions match (gathered over a few milliseconds, payloads packed into one
 * transferred buffer: {@link CrossingBatch}), and its publishes go out through {@link EdgeHostOptions.publish}. The
 * thread loads TypeScript through tsx, as the runtime itself does.
 */
export class EdgeHost {
  private latest: AnomalyDetectorStats | undefined;
  private stopped: Promise<void> | undefined;
  private readonly filters = new Map<string, number>();
  /** Whether any of the component's subscriptions matches a topic. */
  private readonly wanted = new TopicMemo((topic) =>
    [...this.filters.keys()].some((f) => topicMatches(f, topic)),
  );
  private readonly crossing = new CrossingBatch<undefined>((batch) =>
    this.worker.postMessage({ type: 'deliver', batch } satisfies HostToEdge, [batch.bytes]),
  );

  /** The nucleus's IPC authorization: what the recipe does not grant is refused, as on a core. */
  private readonly ipc: IpcAuthorizer;

  private constructor(
    private readonly worker: Worker,
    private readonly options: EdgeHostOptions,
  ) {
    this.ipc = new IpcAuthorizer(options.accessControl ?? shippedAccessControl());
  }

  static start(options: EdgeHostOptions): Promise<EdgeHost> {
    const entry = path.join(__dirname, 'edge-worker.ts');
    const data: EdgeWorkerData = { stateDir: options.stateDir };
    const worker = startTsWorker(entry, data);
    const host = new EdgeHost(worker, options);
    return new Promise((resolve, reject) => {
      worker.on('message', (m: EdgeToHost) => {
        if (m.type === 'failed') {
          void worker.terminate();
          reject(new Error(`edge component: ${m.message}`));
        } else if (m.type === 'started') {
          host.latest = m.stats;
          resolve(host);
        } else host.receive(m);
      });
      worker.once('error', (e) => {
        options.log('error', `edge component: ${e.message}`);
        reject(e);
      });
      worker.once('exit', (code) =>
        reject(new Error(`edge component thread exited (${code}) before starting`)),
      );
    });
  }

  private receive(m: EdgeToHost): void {
    switch (m.type) {
      case 'log':
        this.options.log(m.level, `edge: ${m.message}`);
        break;
      case 'stats':
      case 'stopped':
        this.latest = m.stats;
        break;
      case 'subscribe':
        if (!this.authorized(m.id, 'aws.greengrass#SubscribeToTopic', m.filter)) break;
        this.filters.set(m.filter, (this.filters.get(m.filter) ?? 0) + 1);
        this.wanted.clear();
        this.settle(m.id);
        break;
      case 'unsubscribe': {
        const n = (this.filters.get(m.filter) ?? 1) - 1;
        if (n > 0) this.filters.set(m.filter, n);
        else this.filters.delete(m.filter);
        this.wanted.clear();
        this.settle(m.id);
        break;
      }
      case 'publish':
        if (
          !this.authorized(
            m.id,
            m.cloud ? 'aws.greengrass#PublishToIoTCore' : 'aws.greengrass#PublishToTopic',
            m.topic,
          )
        )
          break;
        this.options.publish(m.topic, m.payload, m.cloud).then(
          () => this.settle(m.id),
          (e: unknown) => this.settle(m.id, (e as Error).message),
        );
        break;
    }
  }

  /** Settles a refused request with the nucleus's error and logs it; true when the recipe grants it. */
  private authorized(id: number, operation: IpcOperation, topic: string): boolean {
    if (this.ipc.allows(operation, topic)) return true;
    const error = `UnauthorizedError: ${COMPONENT_NAME} is not authorized to perform ${operation} on ${topic}`;
    this.options.log('error', `edge: ${error}`);
    this.settle(id, error);
    return false;
  }

  private settle(id: number, error?: string): void {
    this.worker.postMessage({
      type: 'settled',
      id,
      ...(error !== undefined && { error }),
    } satisfies HostToEdge);
  }

  /** A message the broker took: handed to the component when one of its subscriptions matches. */
  offer(m: InboundMessage): void {
    if (this.stopped || !this.wanted.get(m.topic)) return;
    this.crossing.add(m.topic, m.payload, undefined);
  }

  /** The thread's event-loop utilization so far (cumulative; Node's `EventLoopUtilization`). */
  eventLoop(): EventLoopUtilization {
    return this.worker.performance.eventLoopUtilization();
  }

  /** The component's counters as of its last report (at most a quarter of a second old). */
  stats(): AnomalyDetectorStats | undefined {
    return this.latest;
  }

  /** Hands over what is waiting, drains the component (its last windows and events go out) and ends the thread. */
  stop(): Promise<void> {
    this.crossing.flush();
    this.stopped ??= stopWorker<EdgeToHost>(
      this.worker,
      { type: 'stop' } satisfies HostToEdge,
      (m) => m.type === 'stopped',
      10_000,
    );
    return this.stopped;
  }
}
