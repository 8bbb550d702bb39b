/**
 * Everything behind the broker on a thread of its own: the stack's rules (local rules engine) →
 * the local stream (Kinesis and its event source mapping) → the very stream-processor handler →
 * the store, with the stream path's own scoring; edge events → the very event-router handler.
 * It keeps its own connection to the runtime's SQLite file (WAL: the main thread's readers and
 * its few writes go on beside it). Started by {@link PipelineHost}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { quarantineItem, type TelemetryRecord, type TelemetryStore } from '../core/store';
import { makeHandler as makeEventRouter } from '../lambda/event-router/handler';
import { makeCloudScoring } from '../lambda/shared/cloud-scoring';
import { EndpointScorer } from '../lambda/shared/endpoint-scorer';
import { makeHandler as makeStreamProcessor } from '../lambda/stream-processor/handler';
import type { InboundMessage } from './broker';
import {
  emptyProgress,
  type HostToPipeline,
  type PipelineToHost,
  type PipelineWorkerData,
} from './pipeline-host';
import { LocalRulesEngine } from './rules-engine';
import { openLocalStore } from './store';
import { LocalStream } from './stream';
import { unpack } from './threads';
import { CoalescingTelemetryStore } from './write-coalescer';

const port = parentPort!;
const data = workerData as PipelineWorkerData;
const post = (m: PipelineToHost) => port.postMessage(m);

const REPORT_MS = 10;
const store = openLocalStore(data.dbFile);
let progress = emptyProgress();
let reportScheduled = false;
const sendProgress = () => {
  reportScheduled = false;
  post({ type: 'progress', progress });
  progress = emptyProgress();
};
/** Progress goes out every few milliseconds, not per record (the host's counters lag that much). */
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
const telemetry: TelemetryStore = data.reportStoredTimes
  ? {
      write: async (records: readonly TelemetryRecord[]) => {
        const result = await store.telemetry.write(records);
        const newest = new Map<string, number>();
        for (const r of records) {
          const key = `${r.deviceId}/${r.seq}`;
          newest.set(key, Math.max(newest.get(key) ?? 0, r.time));
        }
        post({ type: 'stored-times', at: Date.now(), times: [...newest.values()] });
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
  }),
  events: store.events,
  startResponse: (event) => post({ type: 'anomaly', event }),
});
const streamProcessor = makeStreamProcessor({
  store: new CoalescingTelemetryStore(telemetry),
  quarantine: store.quarantine,
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
  batchWindowMs: data.batchWindowMs,
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
      receivedAt: Date.now(),
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
  onAnomaly: async (event) => post({ type: 'anomaly', event }),
});

const rules = new LocalRulesEngine(data.stage, {
  telemetry: (output, partitionKey) => {
    stream.put(partitionKey, output);
    progress.put++;
  },
  events: async (output) => {
    const res = await eventRouter(JSON.parse(Buffer.from(output).toString('utf8')));
    if (res.status === 'routed') progress.stored++;
    else progress.quarantined++;
  },
  error: (rule, reason, m) =>
    quarantine(m.payload, {
      source: 'rule-error',
      reason: `${rule}: ${reason}`,
      receivedAt: m.receivedAt,
      topic: m.topic,
    }),
});

let inDispatch = 0;
/** One message through the rules; one no rule takes is kept (IoT Core would let it pass unseen). */
async function dispatch(m: InboundMessage): Promise<void> {
  inDispatch++;
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
    inDispatch--;
    progress.dispatched++;
    report();
  }
}

async function stop(): Promise<void> {
  while (inDispatch > 0) await new Promise((r) => setTimeout(r, 5));
  stream.stop();
  await stream.drained();
  sendProgress();
  store.close();
  post({ type: 'stopped' });
  port.close();
}

port.on('message', (m: HostToPipeline) => {
  if (m.type === 'messages') {
    for (const { index, topic, payload } of unpack(m.batch)) {
      void dispatch({ topic, payload, clientId: m.clientIds[index]!, receivedAt: m.receivedAt[index]! });
    }
  } else if (m.type === 'stop') {
    void stop();
  }
});
post({ type: 'started' });
