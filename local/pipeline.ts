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

/** A message handed to the pipeline; with an `id` (its place in the stream log), it is reported done by it. */
export type PipelineMessage = InboundMessage & { readonly id?: number };

export interface Pipeline {
  /** One message through the rules and on into the stream. */
  dispatch(m: PipelineMessage): Promise<void>;
  /** Lets every message taken finish (rules and stream), then reports the last progress. */
  stop(): Promise<void>;
}

/** Progress goes out every few milliseconds, not per record (the host's counters lag that much). */
const REPORT_MS = 10;
/** A quarantine write the store cannot take yet (locked, full) is tried again, at most this far apart. */
const MAX_QUARANTINE_BACKOFF_MS = 5000;

/**
 * Everything behind the broker: the stack's rules (local rules engine) → the local stream
 * (Kinesis and its event source mapping) → the very stream-processor handler → the store, with
 * the stream path's own scoring; edge events → the very event-router handler. A plain object, so
 * a test runs it in-process; the runtime runs it on a thread of its own (`pipeline-worker.ts`).
 */
export function createPipeline(options: PipelineOptions): Pipeline {
  const { store, clock, post } = options;
  let progress = emptyProgress();
  /** Messages (by stream-log id) finished since the last report: stored or quarantined. */
  let done: number[] = [];
  let reportScheduled = false;
  const sendProgress = () => {
    reportScheduled = false;
    post({ type: 'progress', progress, done });
    progress = emptyProgress();
    done = [];
  };
  const report = () => {
    if (reportScheduled) return;
    reportScheduled = true;
    setTimeout(sendProgress, REPORT_MS);
  };

  // A message is done once the rules are through with it and each record it put on the stream
  // has been processed or kept as a dead letter: only then may it leave the stream log.
  const parts = new Map<number, number>();
  const messageOfRecord = new Map<string, number>();
  const partDone = (id: number | undefined) => {
    if (id === undefined) return;
    const left = (parts.get(id) ?? 1) - 1;
    if (left > 0) {
      parts.set(id, left);
      return;
    }
    parts.delete(id);
    done.push(id);
    report();
  };
  const recordDone = (sequenceNumber: string) => {
    const id = messageOfRecord.get(sequenceNumber);
    messageOfRecord.delete(sequenceNumber);
    partDone(id);
  };

  let stopping = false;
  /**
   * Keeps a message in the quarantine with its reason, and counts it. The quarantine shares the
   * store's file: while the store fails (locked, full), the write is tried again with a growing
   * delay rather than given up, and the message stays in the stream log until it is in.
   */
  async function quarantine(payload: Uint8Array, meta: Parameters<typeof quarantineItem>[1]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await store.quarantine.put([quarantineItem(payload, meta)]);
        progress.quarantined++;
        report();
        return;
      } catch (e) {
        if (attempt === 0)
          post({
            type: 'log',
            level: 'error',
            message: `${meta.source}: quarantine write failed, trying again: ${(e as Error).message}`,
          });
        if (stopping) throw e;
        await new Promise((r) => setTimeout(r, Math.min(MAX_QUARANTINE_BACKOFF_MS, 100 * 2 ** attempt)));
      }
    }
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
  // Each device's detector state is kept in the store's file: a restart on the same data folder
  // resumes the detectors (saved at a clean stop, and every minute of readings while running).
  const scorer = new EndpointScorer({
    client: new SageMakerRuntimeClient({ region: 'local' }),
    model: async () => undefined,
    clock,
    states: store.detectorStates,
  });
  const cloudScoring = makeCloudScoring({
    scorer,
    events: store.events,
    // Every event goes to the host, which starts the workflow for the openings (as the event
    // router's do); escalations are shown and scored in the report.
    onEvent: (event) => post({ type: 'anomaly', event }),
    startResponse: () => {},
    onScored: (batch) => {
      const { discarded, refused, saveError } = batch.states;
      for (const d of discarded)
        post({
          type: 'log',
          level: 'warn',
          message: `detector state of ${d.deviceId} not used: ${d.reason}`,
        });
      for (const r of refused)
        post({
          type: 'log',
          level: 'error',
          message: `detector state of ${r.deviceId} not saved: ${r.detail}`,
        });
      if (saveError) post({ type: 'log', level: 'error', message: `saving detector states: ${saveError}` });
    },
  });
  /** The store's last failure: a dead letter's reason names it (the handler reports failed records without one). */
  let lastStoreError: string | undefined;
  const streamProcessor = makeStreamProcessor({
    store: new CoalescingTelemetryStore({
      write: (records) =>
        telemetry.write(records).catch((e: unknown) => {
          lastStoreError = (e as Error).message;
          throw e;
        }),
    }),
    quarantine: store.quarantine,
    clock,
    onOutcome: async (outcome) => {
      if (outcome.status === 'stored') {
        progress.stored++;
        progress.readingsStored += outcome.stored;
      } else progress.quarantined++;
      report();
    },
    onBatch: cloudScoring,
  });
  const deadLetterWrites = new Set<Promise<void>>();
  const stream = new LocalStream((event) => streamProcessor(event), {
    batchWindowMs: options.batchWindowMs,
    clock,
    onSettled: (n, processed) => {
      progress.settled += n;
      for (const sequenceNumber of processed) recordDone(sequenceNumber);
      report();
    },
    // The dead-letter queue of AWS is the quarantine here: kept with the reason, counted.
    onDeadLetter: (dead) => {
      progress.deadLettered++;
      const kept = quarantine(dead.data, {
        source: 'stream-dead-letter',
        reason: `${dead.reason} (${dead.attempts} attempts)${lastStoreError ? `; the store's last error: ${lastStoreError}` : ''}`,
        receivedAt: clock(),
      }).then(
        () => recordDone(dead.sequenceNumber),
        // Given up only when stopping: the message stays in the stream log for the next run.
        () => {},
      );
      deadLetterWrites.add(kept);
      void kept.finally(() => deadLetterWrites.delete(kept));
    },
  });

  const eventRouter = makeEventRouter({
    events: store.events,
    quarantine: store.quarantine,
    clock,
    onAnomaly: async (event) => post({ type: 'anomaly', event }),
  });

  const rules = new LocalRulesEngine(options.stage, {
    telemetry: (output, partitionKey, m: PipelineMessage) => {
      const sequenceNumber = stream.put(partitionKey, output);
      progress.put++;
      if (m.id === undefined) return;
      parts.set(m.id, (parts.get(m.id) ?? 1) + 1);
      messageOfRecord.set(sequenceNumber, m.id);
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
  async function route(m: PipelineMessage): Promise<void> {
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
      partDone(m.id);
      report();
    }
  }

  return {
    dispatch(m) {
      if (m.id !== undefined) parts.set(m.id, 1);
      const routed = route(m);
      inDispatch.add(routed);
      return routed.finally(() => inDispatch.delete(routed));
    },
    async stop() {
      // A message still in the rules may yet put records on the stream: let it first.
      while (inDispatch.size > 0) await Promise.all(inDispatch);
      stream.stop();
      await stream.drained();
      stopping = true;
      await Promise.allSettled(deadLetterWrites);
      const flushed = await scorer.flush();
      if (flushed.saveError)
        post({
          type: 'log',
          level: 'error',
          message: `saving detector states at stop: ${flushed.saveError}`,
        });
      sendProgress();
    },
  };
}
