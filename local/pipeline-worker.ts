/**
 * The cloud side of the ingest path on a thread of its own: the local stream (Kinesis and its
 * event source mapping) → the very stream-processor handler → the store, with the stream path's
 * own scoring. It keeps its own connection to the runtime's SQLite file (WAL: the main thread's
 * readers and its few writes go on beside it). Started by {@link PipelineHost}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { quarantineItem, type TelemetryRecord, type TelemetryStore } from '../core/store';
import { makeCloudScoring } from '../lambda/shared/cloud-scoring';
import { EndpointScorer } from '../lambda/shared/endpoint-scorer';
import { makeHandler as makeStreamProcessor } from '../lambda/stream-processor/handler';
import type { HostToPipeline, PipelineProgress, PipelineToHost, PipelineWorkerData } from './pipeline-host';
import { openLocalStore } from './store';
import { LocalStream } from './stream';
import { CoalescingTelemetryStore } from './write-coalescer';

const port = parentPort!;
const data = workerData as PipelineWorkerData;
const post = (m: PipelineToHost) => port.postMessage(m);

const store = openLocalStore(data.dbFile);
const progress: PipelineProgress = {
  stored: 0,
  readingsStored: 0,
  quarantined: 0,
  deadLettered: 0,
  settled: 0,
};
let reportScheduled = false;
const sendProgress = () => {
  reportScheduled = false;
  post({ type: 'progress', progress: { ...progress } });
  progress.stored = progress.readingsStored = progress.quarantined = progress.deadLettered = 0;
  progress.settled = 0;
};
/** Progress goes out once per turn of the event loop, not per record. */
const report = () => {
  if (reportScheduled) return;
  reportScheduled = true;
  setImmediate(sendProgress);
};

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
    void store.quarantine
      .put([
        quarantineItem(dead.data, {
          source: 'stream-dead-letter',
          reason: `${dead.reason} (${dead.attempts} attempts)`,
          receivedAt: Date.now(),
        }),
      ])
      .then(() => progress.quarantined++)
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

port.on('message', (m: HostToPipeline) => {
  if (m.type === 'put') {
    const bytes = new Uint8Array(m.bytes);
    let offset = 0;
    for (let i = 0; i < m.keys.length; i++) {
      const end = offset + m.lengths[i]!;
      stream.put(m.keys[i]!, bytes.subarray(offset, end));
      offset = end;
    }
  } else if (m.type === 'stop') {
    stream.stop();
    void stream.drained().then(() => {
      sendProgress();
      store.close();
      post({ type: 'stopped' });
      port.close();
    });
  }
});
post({ type: 'started' });
