import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type PipelineProgress, PipelineHost } from '../../../local/pipeline-host';
import { openLocalStore } from '../../../local/store';

/** A telemetry rule's output: the device's message with the envelope the rule adds. */
function ruleOutput(deviceId: string, seq: number, ts: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      schema: 'aiot.telemetry/1',
      deviceId,
      site: 'plant-1',
      seq,
      units: { bearing_temp_c: 'degC' },
      readings: [{ ts, values: { bearing_temp_c: 40 + seq } }],
      topicSite: 'plant-1',
      topicDeviceId: deviceId,
      receivedAt: ts,
    }),
  );
}

describe('PipelineHost', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'aiot-pipeline-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('when records cross to the thread, stores the valid ones, quarantines the bad ones with a reason, and reports both', async () => {
    const dbFile = path.join(dir, 'aiot.db');
    const mainStore = openLocalStore(dbFile);
    const totals: PipelineProgress = { stored: 0, readingsStored: 0, quarantined: 0, deadLettered: 0, settled: 0 };
    const storedTimes: number[] = [];
    const host = await PipelineHost.start({
      dbFile,
      batchWindowMs: 5,
      reportStoredTimes: true,
      onProgress: (p) => {
        for (const k of Object.keys(totals) as (keyof PipelineProgress)[]) totals[k] += p[k];
      },
      onAnomaly: () => {},
      log: () => {},
    });
    host.onStored((_at, times) => storedTimes.push(...times));
    try {
      const t0 = Date.UTC(2026, 10, 24, 12);
      for (let seq = 0; seq < 50; seq++) host.put(`dev-${seq % 3}`, ruleOutput(`dev-${seq % 3}`, seq, t0 + seq * 1000));
      host.put('dev-0', Buffer.from('not json at all'));
      host.put('dev-1', Buffer.from(JSON.stringify({ schema: 'aiot.telemetry/1', deviceId: 'dev-1' })));
      expect(host.pending).toBe(52);
      await host.drained();

      expect(host.pending).toBe(0);
      expect(totals).toMatchObject({ stored: 50, readingsStored: 50, quarantined: 2, deadLettered: 0, settled: 52 });
      expect(storedTimes.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => t0 + i * 1000));
      // Written by the thread's own connection, seen through the main thread's.
      const rows = mainStore.db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number };
      expect(rows.n).toBe(50);
      const quarantined = mainStore.quarantine.list({ limit: 10 }).items;
      expect(quarantined).toHaveLength(2);
      expect(quarantined.every((q) => q.source === 'stream-processor' && q.reason.length > 0)).toBe(true);
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
      onProgress: (p) => {
        stored += p.stored;
      },
      onAnomaly: () => {},
      log: () => {},
    });
    const t0 = Date.UTC(2026, 10, 24, 12);
    for (let seq = 0; seq < 20; seq++) host.put('dev-0', ruleOutput('dev-0', seq, t0 + seq * 1000));
    await host.stop();
    expect(stored).toBe(20);
    expect(() => host.put('dev-0', ruleOutput('dev-0', 99, t0))).toThrow('the local stream is stopped');
  });
});
