import * as path from 'node:path';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { AnomalyDetectorStats } from '../greengrass/anomaly-detector/component';

export interface EdgeWorkerData {
  /** The broker URL with the gateway's credentials. */
  readonly gatewayUrl: string;
  readonly stateDir: string;
}

export type EdgeToHost =
  | { type: 'started' | 'stats' | 'stopped'; stats: AnomalyDetectorStats }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'failed'; message: string };

/**
 * Runs the edge component (`local/edge-worker.ts`) on a thread of its own, so the gateway's
 * detectors do not share the pipeline's event loop — as on a real site, where the Greengrass
 * core is another machine. The thread loads TypeScript through tsx, as the runtime itself does.
 */
export class EdgeHost {
  private latest: AnomalyDetectorStats | undefined;
  private stopped: Promise<void> | undefined;

  private constructor(private readonly worker: Worker) {}

  static start(
    data: EdgeWorkerData,
    log: (level: 'info' | 'warn' | 'error', message: string) => void,
  ): Promise<EdgeHost> {
    const entry = path.join(__dirname, 'edge-worker.ts');
    const worker = new Worker(
      `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(entry)});`,
      // A larger young generation: the component allocates a little for every reading, and
      // fewer, larger scavenges cost less in all.
      { eval: true, workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 96 } },
    );
    const host = new EdgeHost(worker);
    return new Promise((resolve, reject) => {
      worker.on('message', (m: EdgeToHost) => {
        if (m.type === 'log') log(m.level, `edge: ${m.message}`);
        else if (m.type === 'failed') {
          void worker.terminate();
          reject(new Error(`edge component: ${m.message}`));
        } else {
          host.latest = m.stats;
          if (m.type === 'started') resolve(host);
        }
      });
      worker.once('error', (e) => {
        log('error', `edge component: ${e.message}`);
        reject(e);
      });
      worker.once('exit', (code) =>
        reject(new Error(`edge component thread exited (${code}) before starting`)),
      );
    });
  }

  /** The thread's event-loop utilization so far (cumulative; Node's `EventLoopUtilization`). */
  eventLoop(): EventLoopUtilization {
    return this.worker.performance.eventLoopUtilization();
  }

  /** The component's counters as of its last report (at most a quarter of a second old). */
  stats(): AnomalyDetectorStats | undefined {
    return this.latest;
  }

  /** Drains the component (its last windows and events go out) and ends the thread. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => void this.worker.terminate().then(() => resolve()), 10_000);
      this.worker.on('message', (m: EdgeToHost) => {
        if (m.type !== 'stopped') return;
        clearTimeout(timer);
        void this.worker.terminate().then(() => resolve());
      });
      this.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.worker.postMessage({ type: 'stop' });
    });
    return this.stopped;
  }
}
