import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { COMMAND_SCHEMA_VERSION } from '../../../core/commands';
import type { AnomalyEvent } from '../../../core/events';
import { createPipeline } from '../../../local/pipeline';
import {
  emptyProgress,
  PipelineGroup,
  PipelineHost,
  type PipelineProgress,
  type PipelineToHost,
} from '../../../local/pipeline-host';
import { openLocalStore } from '../../../local/store';
import type { LoggedMessage } from '../../../local/stream-log';

/**
 * The pipeline's clock starts here (years back: by the wall clock every reading would be refused
 * as too old), so what the tests see does not depend on the day they run.
 */
const T0 = Date.UTC(2020, 0, 1, 12);

/** Each message has its own place in the stream log, as the runtime gives it. */
let logPosition = 0;
const message = (topic: string, payload: unknown, receivedAt = T0): LoggedMessage => ({
  id: ++logPosition,
  topic,
  payload: Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload)),
  clientId: topic.split('/')[3]!,
  receivedAt,
});

/** A device's telemetry message, as it publishes it. */
const telemetry = (deviceId: string, seq: number, ts: number) =>
  message(`dt/aiot/plant-1/${deviceId}/telemetry`, {
    schema: 'aiot.telemetry/1',
    deviceId,
    site: 'plant-1',
    seq,
    units: { bearing_temp_c: 'degC' },
    readings: [{ ts, values: { bearing_temp_c: 40 + seq } }],
  });

/** The pipeline in this thread on an in-memory store, its clock stopped at T0, what it posts kept (and told to `onPost`). */
function inProcess(onPost?: (m: PipelineToHost) => void) {
  const store = openLocalStore(':memory:');
  const posted: PipelineToHost[] = [];
  const pipeline = createPipeline({
    store,
    stage: 'local',
    batchWindowMs: 1,
    clock: () => T0,
    post: (m) => {
      posted.push(m);
      onPost?.(m);
    },
  });
  return { store, posted, pipeline };
}

/** The sum of the progress reports among what the pipeline posted. */
function totalProgress(posted: readonly PipelineToHost[]): PipelineProgress {
  const total = emptyProgress();
  for (const m of posted) {
    if (m.type !== 'progress') continue;
    for (const k of Object.keys(total) as (keyof PipelineProgress)[]) total[k] += m.progress[k];
  }
  return total;
}

describe('createPipeline', () => {
  it('when a reading is older than the contract allows by the injected clock, quarantines it and stores the fresh one', async () => {
    const { store, posted, pipeline } = inProcess();
    await pipeline.dispatch(telemetry('dev-0', 0, T0 - 31 * 86_400_000));
    await pipeline.dispatch(telemetry('dev-0', 1, T0 - 1000));
    await pipeline.stop();

    expect(totalProgress(posted)).toMatchObject({
      dispatched: 2,
      put: 2,
      settled: 2,
      stored: 1,
      quarantined: 1,
    });
    const [kept] = store.quarantine.list({ limit: 10 }).items;
    expect(kept).toMatchObject({ source: 'stream-processor', reason: expect.stringContaining('older than') });
    store.close();
  });
});

describe('createPipeline when the store fails', () => {
  it('when a record keeps failing and the quarantine fails too at first, dead-letters it with the reason once the quarantine takes it, and only then reports it done', async () => {
    const finished: number[] = [];
    let finishedOne!: () => void;
    const done = new Promise<void>((r) => {
      finishedOne = r;
    });
    const { store, pipeline } = inProcess((m) => {
      if (m.type !== 'progress' || m.done.length === 0) return;
      finished.push(...m.done);
      finishedOne();
    });
    // The adapters are called through these properties at each write: failing from now on.
    store.telemetry.write = async () => {
      throw new Error('database is locked');
    };
    const put = store.quarantine.put.bind(store.quarantine);
    let quarantineFailures = 2;
    store.quarantine.put = async (items) => {
      if (quarantineFailures-- > 0) throw new Error('database is locked');
      return put(items);
    };
    const m = telemetry('dev-0', 0, T0 - 1000);
    await pipeline.dispatch(m);
    await done;
    await pipeline.stop();

    expect(finished).toEqual([m.id]);
    const [kept] = store.quarantine.list({ limit: 10 }).items;
    expect(kept).toMatchObject({ source: 'stream-dead-letter' });
    expect(kept!.reason).toContain("the store's last error: database is locked");
    expect(quarantineFailures).toBeLessThan(0);
    store.close();
  });
});

describe('createPipeline with a device answering a safe-mode command', () => {
  it('when the answer arrives, the acknowledgement rule hands it to the host with its topic, counted as taken', async () => {
    const { store, posted, pipeline } = inProcess();
    const answer = { schema: COMMAND_SCHEMA_VERSION, commandId: 'wo-dev-0-0', status: 'ok', at: T0 };
    await pipeline.dispatch(message('cmd/aiot/plant-1/dev-0/safe-mode/res', answer));
    await pipeline.stop();

    expect(posted.filter((m) => m.type === 'command-ack')).toEqual([
      { type: 'command-ack', topic: 'cmd/aiot/plant-1/dev-0/safe-mode/res', payload: answer },
    ]);
    expect(totalProgress(posted).stored).toBe(1);
    store.close();
  });
});

describe('PipelineHost', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'aiot-pipeline-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('when messages cross to the thread, runs the rules, stores the valid ones, quarantines the bad ones with a reason, and reports both', async () => {
    const dbFile = path.join(dir, 'aiot.db');
    const mainStore = openLocalStore(dbFile);
    const totals = emptyProgress();
    const storedTimes: number[] = [];
    const anomalies: AnomalyEvent[] = [];
    const finished: number[] = [];
    const host = await PipelineHost.start({
      dbFile,
      stage: 'local',
      clockStartMs: T0,
      batchWindowMs: 5,
      reportStoredTimes: true,
      onProgress: (p, done) => {
        for (const k of Object.keys(totals) as (keyof PipelineProgress)[]) totals[k] += p[k];
        finished.push(...done);
      },
      onAnomaly: (e) => anomalies.push(e),
      log: () => {},
    });
    host.onStored((_at, times) => storedTimes.push(...times));
    const handed: number[] = [];
    const dispatch = (m: LoggedMessage) => {
      handed.push(m.id);
      host.dispatch(m);
    };
    try {
      const t0 = T0 - 3_600_000;
      for (let seq = 0; seq < 50; seq++) dispatch(telemetry(`dev-${seq % 3}`, seq, t0 + seq * 1000));
      // Not JSON: the rule fails (its error action); JSON of the wrong shape: the stream processor.
      dispatch(message('dt/aiot/plant-1/dev-0/telemetry', Buffer.from('not json at all')));
      dispatch(message('dt/aiot/plant-1/dev-1/telemetry', { schema: 'aiot.telemetry/1', deviceId: 'dev-1' }));
      const event: AnomalyEvent = {
        schema: 'aiot.event/1',
        kind: 'anomaly',
        deviceId: 'dev-2',
        site: 'plant-1',
        ts: t0,
        score: 0.97,
        severity: 'critical',
        measures: { bearing_temp_c: 93 },
        source: 'edge',
      };
      dispatch(message('dt/aiot/plant-1/dev-2/events', event));
      expect(host.pending).toBe(53);
      await host.drained();
      // Every message handed over is reported finished, once: it may leave the stream log.
      expect(finished.sort((a, b) => a - b)).toEqual(handed);

      expect(host.pending).toBe(0);
      expect(totals).toMatchObject({
        stored: 51,
        readingsStored: 50,
        quarantined: 2,
        deadLettered: 0,
        dispatched: 53,
        put: 51,
        settled: 51,
      });
      expect(anomalies).toEqual([event]);
      expect(storedTimes.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => t0 + i * 1000));
      // Written by the thread's own connection, seen through the main thread's.
      const rows = mainStore.db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number };
      expect(rows.n).toBe(50);
      const quarantined = mainStore.quarantine.list({ limit: 10 }).items;
      expect(quarantined.map((q) => q.source).sort()).toEqual(['rule-error', 'stream-processor']);
      expect(quarantined.every((q) => q.reason.length > 0)).toBe(true);
    } finally {
      await host.stop();
      mainStore.close();
    }
  });

  it('when stopped, lets what was put finish first and refuses more', async () => {
    const dbFile = path.join(dir, 'aiot.db');
    let stored = 0;
    const host = await PipelineHost.start({
      dbFile,
      stage: 'local',
      clockStartMs: T0,
      onProgress: (p) => {
        stored += p.stored;
      },
      onAnomaly: () => {},
      log: () => {},
    });
    const t0 = T0 - 3_600_000;
    for (let seq = 0; seq < 20; seq++) host.dispatch(telemetry('dev-0', seq, t0 + seq * 1000));
    await host.stop();
    expect(stored).toBe(20);
    expect(() => host.dispatch(telemetry('dev-0', 99, t0))).toThrow('the pipeline is stopped');
  });

  it('when a group of threads shares the devices, each stores its share on the one file and nothing is lost', async () => {
    const dbFile = path.join(dir, 'aiot.db');
    const mainStore = openLocalStore(dbFile);
    let stored = 0;
    const group = await PipelineGroup.start({
      threads: 2,
      dbFile,
      stage: 'local',
      clockStartMs: T0,
      batchWindowMs: 2,
      onProgress: (p) => {
        stored += p.stored;
      },
      onAnomaly: () => {},
      log: () => {},
    });
    try {
      const t0 = T0 - 3_600_000;
      for (let seq = 0; seq < 400; seq++) group.dispatch(telemetry(`dev-${seq % 8}`, seq, t0 + seq * 1000));
      await group.drained();
      expect(group.pending).toBe(0);
      expect(stored).toBe(400);
      // Both threads took a share (8 device topics spread by hash; each device on one thread).
      const shares = group.threads.map((t) => t.handedOver);
      expect(shares.reduce((a, b) => a + b, 0)).toBe(400);
      for (const share of shares) expect(share).toBeGreaterThanOrEqual(50);
      const rows = mainStore.db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number };
      expect(rows.n).toBe(400);
      const devices = mainStore.db
        .prepare('SELECT device_id, readings, last_seq FROM devices ORDER BY device_id')
        .all();
      expect(devices).toEqual(
        Array.from({ length: 8 }, (_, d) => ({ device_id: `dev-${d}`, readings: 50, last_seq: 392 + d })),
      );
    } finally {
      await group.stop();
      mainStore.close();
    }
  });
});
