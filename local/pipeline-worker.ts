/**
 * The pipeline (`local/pipeline.ts`) on a thread of its own, started by {@link PipelineHost}. It
 * keeps its own connection to the runtime's SQLite file (WAL: the main thread's readers and its
 * few writes go on beside it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { clockFrom } from '../core/clock';
import { createPipeline, type PipelineMessage } from './pipeline';
import type { HostToPipeline, PipelineToHost, PipelineWorkerData } from './pipeline-host';
import { openLocalStore } from './store';
import { injectStoreFaults } from './store-faults';
import { unpack } from './threads';

const port = parentPort!;
const data = workerData as PipelineWorkerData;
const post = (m: PipelineToHost) => port.postMessage(m);
const store = openLocalStore(data.dbFile);
const endFaults = data.storeFaults?.length
  ? injectStoreFaults(store, data.storeFaults, (message) => post({ type: 'log', level: 'warn', message }))
  : () => {};
const pipeline = createPipeline({
  store,
  stage: data.stage,
  batchWindowMs: data.batchWindowMs,
  reportStoredTimes: data.reportStoredTimes,
  clock: data.clockStartMs === undefined ? Date.now : clockFrom(data.clockStartMs),
  post,
});

port.on('message', (m: HostToPipeline) => {
  if (m.type === 'messages') {
    for (const { index, topic, payload } of unpack(m.batch)) {
      const message: PipelineMessage = {
        topic,
        payload,
        clientId: m.clientIds[index]!,
        receivedAt: m.receivedAt[index]!,
        id: m.ids[index]!,
      };
      void pipeline.dispatch(message);
    }
  } else if (m.type === 'stop') {
    void pipeline.stop().then(() => {
      endFaults();
      store.close();
      post({ type: 'stopped' });
      port.close();
    });
  }
});
post({ type: 'started' });
