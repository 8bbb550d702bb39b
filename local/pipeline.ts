import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { Clock } from '../core/clock';
import { quarantineItem, type TelemetryRecord, type TelemetryStore } from '../core/ports';
import { splitCommandAck } from '../core/rules';
import { makeHandler as makeEventRouter } from '../lambda/event-router/handler';
import { makeCloudScoring } from '../lambda/shared/cloud-scoring';
import { EndpointScorer } from '../lambda/shared/endpoint-scorer';
import { makeHandler as makeStreamProcessor } from '../lambda/stream-processor/handler';
import type { InboundMessage } from './broker';
import { emptyProgress, type PipelineToHost } from './pipeline-host';
import { LocalRulesEngine } from './rules-engine';
import type { LocalStore } from './store';
import { LocalStream } from './stream';
import { CoalescingTelemetryStore } from './write-coalescer';

export interface PipelineOptions {
  /** Where readings, events and quarantined messages go. */
  readonly store: LocalStore;
  /** The stage the rule names are made for. */
  readonly stage: string;
  /** How long a shard of the stream waits to fill a batch. */
  readonly batchWindowMs: number;
  readonly clock: Clock;
  /** Where progress, anomalies and logs go (the host, across the thread). */
  readonly post: (m: PipelineToHost) => void;
  /** Report each stored message's newest reading time (for latency benchmarks). @default false */
  readonly reportStoredTimes?: boolean;
}

export interface Pipeline {
  /** One message through the rules and on into the stream. */
  dispatch(m: InboundMessage): Promise<void>;
  /** Lets every message taken finish (rules and stream), then reports the last progress. */
  stop(): Promise<void>;
}

/** Progress goes out every few milliseconds, not per record (the host's counters lag that much). */
const REPORT_MS = 10;

/**
 * Everything behind the broker: the stack's rules (local rules engine) → the local stream
 * (Kinesis and its event source mapping) → the very stream-processor handler → the store, with
 * the stream path's own scoring; edge events → the very event-router handler. A plain object, so
 * a test runs it in-process; the runtime runs it on a thread of its own (`pipeline-worker.ts`).
 */
export function createPipeline(options: PipelineOptions): Pipeline {
  const { store, clock, post } = options;
  let progress = emptyProgress();
  let reportScheduled = false;
  const sendProgress = () => {
    reportScheduled = false;
    post({ type: 'progress', progress });
    progress = emptyProgress();
  };
  const report = () => {
    if (reportScheduled) return;
    reportScheduled = true;
    setTimeout(sendProgress, REPORT_MS);
  };

  /** Keeps a message in the quarantine with its reason, and counts it. */
  async function quarantine(payload: Uint8Array, meta: Parameters<typeof quarantineItem>[1]): Promise<void> {
    await store.quarantine.put([quarantineItem(payload, meta)]);
    progress.quarantined++;
  }

  /** When asked (benchmarks), each stored message's newest reading time and when its write ended. */
  const telemetry: TelemetryStore = options.reportStoredTimes
    ? {
        write: async (records: readonly TelemetryRecord[]) => {
          const result = await store.telemetry.write(records);
          const newest = new Map<string, number>();
          for (const r of records) {
            const key = `${r.deviceId}/${r.seq}`;
            newest.set(key, Math.max(newest.get(key) ?? 0, r.time));
          }
          post({ type: 'stored-times', at: clock(), times: [...newest.values()] });
          return result;
        },
      }
    : store.telemetry;

  // No endpoint is deployed locally, so the in-process detector scores, exactly as in AWS before
  // the first retraining; an anomaly is stored here and its response workflow starts on the host.
  const cloudScoring = makeCloudScoring({
    scorer: new EndpointScorer({
      client: new SageMakerRuntimeClient({ region: 'local' }),
      model: async () => undefined,
      clock,
    }),
    events: store.events,
    startResponse: (event) => post({ type: 'anomaly', event }),
  });
  const streamProcessor = makeStreamProcessor({
    store: new CoalescingTelemetryStore(telemetry),
    quarantine: store.quarantine,
    clock,
    onOutcome: async (outcome) => {
      if (outcome.status === 'stored') {
        progress.stored++;
        progress.readingsStored += outcome.stored;
      } else progress.quarantined++;
      report();
      await cloudScoring(outcome);
    },
  });
  const stream = new LocalStream((event) => streamProcessor(event), {
    batchWindowMs: options.batchWindowMs,
    clock,
    onSettled: (n) => {
      progress.settled += n;
      report();
    },
    // The dead-letter queue of AWS is the quarantine here: kept with the reason, counted.
    onDeadLetter: (dead) => {
      progress.deadLettered++;
      void quarantine(dead.data, {
        source: 'stream-dead-letter',
        reason: `${dead.reason} (${dead.attempts} attempts)`,
        receivedAt: clock(),
      })
        .catch((e: unknown) =>
          post({
            type: 'log',
            level: 'error',
            message: `dead letter not quarantined: ${(e as Error).message}`,
          }),
        )
        .finally(report);
    },
  });

  const eventRouter = makeEventRouter({
    events: store.events,
    quarantine: store.quarantine,
    clock,
    onAnomaly: async (event) => post({ type: 'anomaly', event }),
  });

  const rules = new LocalRulesEngine(options.stage, {
    telemetry: (output, partitionKey) => {
      stream.put(partitionKey, output);
      progress.put++;
    },
    events: async (output) => {
      const res = await eventRouter(JSON.parse(Buffer.from(output).toString('utf8')));
      if (res.status === 'routed') progress.stored++;
      else progress.quarantined++;
    },
    // The workflows waiting for the answer run on the host; the answer is taken once it is there.
    commandAck: (output) => {
      const { topic, payload } = splitCommandAck(JSON.parse(Buffer.from(output).toString('utf8')));
      post({ type: 'command-ack', topic, payload });
      progress.stored++;
    },
    error: (rule, reason, m) =>
      quarantine(m.payload, {
        source: 'rule-error',
        reason: `${rule}: ${reason}`,
        receivedAt: m.receivedAt,
        topic: m.topic,
      }),
  });

  const inDispatch = new Set<Promise<void>>();
  /** One message through the rules; one no rule takes is kept (IoT Core would let it pass unseen). */
  async function route(m: InboundMessage): Promise<void> {
    try {
      const result = await rules.dispatch(m);
      if (result.notTaken) {
        await quarantine(m.payload, {
          source: 'rules',
          reason: result.notTaken,
          receivedAt: m.receivedAt,
          topic: m.topic,
        });
      }
    } catch (e) {
      post({ type: 'log', level: 'error', message: `routing ${m.topic}: ${(e as Error).message}` });
    } finally {
      progress.dispatched++;
      report();
    }
  }

  return {
    dispatch(m) {
      const done = route(m);
      inDispatch.add(done);
      return done.finally(() => inDispatch.delete(done));
    },
    async stop() {
      // A message still in the rules may yet put records on the stream: let it first.
      while (inDispatch.size > 0) await Promise.all(inDispatch);
      stream.stop();
      await stream.drained();
      sendProgress();
    },
  };
}
