import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { InvalidCursor } from '../../../core/cursor';
import { type LocalStore, openLocalStore } from '../../../local/store';
import { anomaly, drain, reading } from '../../fixtures/time-series';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const MIN = 60_000;

describe('local store', () => {
  let store: LocalStore;
  beforeEach(() => {
    store = openLocalStore(':memory:', { clock: () => NOW });
  });
  afterEach(() => store.close());

  describe('telemetry', () => {
    it('when the identical record is written again, it is accepted and stored once', async () => {
      const r = reading('pump-1', NOW - MIN, { temp: 20.5, rpm: 1500 });
      expect(await store.telemetry.write([r])).toEqual({ written: 1, rejected: [] });
      // Same values in another key order are the same record.
      expect(await store.telemetry.write([{ ...r, measures: { rpm: 1500, temp: 20.5 } }])).toEqual({
        written: 1,
        rejected: [],
      });
      const points = await store.query.telemetry({
        deviceId: 'pump-1',
        from: 0,
        to: NOW,
        resolution: 'raw',
        limit: 100,
      });
      expect(points.items).toHaveLength(2);
      expect(points.items.every((p) => p.count === 1)).toBe(true);
    });

    it('when another record for the same device and time arrives, it is rejected as a conflict and the rest of the batch is written', async () => {
      await store.telemetry.write([reading('pump-1', NOW - MIN, { temp: 20 })]);
      const result = await store.telemetry.write([
        reading('pump-1', NOW - 2 * MIN, { temp: 19 }),
        reading('pump-1', NOW - MIN, { temp: 21 }),
        reading('pump-1', NOW - MIN, { temp: 20 }, 2),
      ]);
      expect(result.written).toBe(1);
      expect(result.rejected).toEqual([
        { index: 1, kind: 'conflict', reason: expect.stringContaining('already stored') },
        { index: 2, kind: 'conflict', reason: expect.stringContaining('seq 1') },
      ]);
      const device = await store.query.getDevice('pump-1');
      expect(device?.latest).toEqual({ time: NOW - MIN, seq: 1, measures: { temp: 20 } });
    });

    it('when a record is invalid, it is rejected with the reason', async () => {
      const result = await store.telemetry.write([
        reading('pump-1', NOW, { temp: Number.NaN }),
        reading('pump 1', NOW, { temp: 1 }),
        reading('pump-1', NOW, {}),
        reading('pump-1', NOW, { Temp: 1 }),
        reading('pump-1', NOW, { temp: 1 }),
      ]);
      expect(result.written).toBe(1);
      expect(result.rejected.map((r) => [r.index, r.kind])).toEqual([
        [0, 'invalid'],
        [1, 'invalid'],
        [2, 'invalid'],
        [3, 'invalid'],
      ]);
      expect(result.rejected[0]!.reason).toContain('finite');
    });

    it('when readings arrive out of order, the device keeps the newest as its latest state', async () => {
      await store.telemetry.write([reading('pump-1', NOW - MIN, { temp: 2 }, 2)]);
      await store.telemetry.write([reading('pump-1', NOW - 5 * MIN, { temp: 1 }, 1)]);
      const device = await store.query.getDevice('pump-1');
      expect(device).toMatchObject({ firstSeen: NOW - 5 * MIN, latest: { time: NOW - MIN, seq: 2 } });
    });

    it('when rolled up, buckets carry avg, min, max and count per measure', async () => {
      const t0 = NOW - 10 * MIN;
      await store.telemetry.write([
        reading('pump-1', t0, { temp: 10, rpm: 100 }),
        reading('pump-1', t0 + 20_000, { temp: 20 }),
        reading('pump-1', t0 + 40_000, { temp: 60, rpm: 300 }),
        reading('pump-1', t0 + MIN, { temp: 5 }),
        reading('pump-2', t0, { temp: 1000 }),
      ]);
      const page = await store.query.telemetry({
        deviceId: 'pump-1',
        from: t0,
        to: NOW,
        resolution: '1m',
        limit: 10,
      });
      expect(page).toEqual({
        items: [
          { t: t0, measure: 'rpm', avg: 200, min: 100, max: 300, count: 2 },
          { t: t0, measure: 'temp', avg: 30, min: 10, max: 60, count: 3 },
          { t: t0 + MIN, measure: 'temp', avg: 5, min: 5, max: 5, count: 1 },
        ],
      });
      const onlyRpm = await store.query.telemetry({
        deviceId: 'pump-1',
        from: t0,
        to: t0 + MIN,
        measure: 'rpm',
        resolution: 'raw',
        limit: 10,
      });
      expect(onlyRpm.items.map((p) => [p.t, p.avg])).toEqual([
        [t0, 100],
        [t0 + 40_000, 300],
      ]);
    });

    it('when paged, the pages together equal the unpaged answer even when a page ends inside a bucket', async () => {
      const t0 = NOW - 60 * MIN;
      const records = Array.from({ length: 120 }, (_, i) =>
        reading('pump-1', t0 + i * 30_000, { temp: i, rpm: 2 * i, vib: i % 7 }),
      );
      await store.telemetry.write(records);
      const q = { deviceId: 'pump-1', from: t0, to: NOW, resolution: '5m' as const };
      const whole = await store.query.telemetry({ ...q, limit: 1000 });
      const paged = await drain((cursor) => store.query.telemetry({ ...q, limit: 7, cursor }));
      expect(whole.cursor).toBeUndefined();
      expect(paged).toEqual(whole.items);
      expect(paged).toHaveLength(36);
    });
  });

  describe('quarantine', () => {
    it('when items are put, they are kept with reason, source, topic and time, newest first, filterable by source', async () => {
      await store.quarantine.put([
        {
          source: 'rule-error',
          reason: 'bad json',
          payload: '{',
          encoding: 'utf8',
          receivedAt: NOW - 2,
          topic: 't/1',
        },
        {
          source: 'stream-processor',
          reason: 'no unit',
          payload: 'AAE=',
          encoding: 'base64',
          receivedAt: NOW - 1,
        },
      ]);
      await store.quarantine.put([
        {
          source: 'rule-error',
          reason: 'too big',
          payload: 'x',
          encoding: 'utf8',
          receivedAt: NOW,
          deviceId: 'pump-1',
        },
      ]);
      expect(store.quarantine.count()).toBe(3);
      expect(store.quarantine.countsBySource()).toEqual({ 'rule-error': 2, 'stream-processor': 1 });
      const first = store.quarantine.list({ limit: 2 });
      expect(first.items.map((i) => i.reason)).toEqual(['too big', 'no unit']);
      expect(first.items[0]).toMatchObject({ deviceId: 'pump-1', receivedAt: NOW });
      const second = store.quarantine.list({ limit: 2, cursor: first.cursor });
      expect(second).toEqual({
        items: [expect.objectContaining({ reason: 'bad json', topic: 't/1', source: 'rule-error' })],
      });
      expect(store.quarantine.list({ source: 'stream-processor' }).items).toEqual([
        expect.objectContaining({ payload: 'AAE=', encoding: 'base64' }),
      ]);
    });
  });

  describe('events', () => {
    it('when the same anomaly is delivered twice, it is kept once', async () => {
      const e = anomaly('pump-1', NOW - MIN, 'warning');
      await store.events.putAnomalies([e]);
      await store.events.putAnomalies([e]);
      const page = await store.query.anomalies({ from: 0, to: NOW + 1, limit: 10 });
      expect(page.items).toEqual([e]);
    });

    it('when an anomaly breaks its schema, the write throws with the reason and stores nothing', async () => {
      const bad = { ...anomaly('pump-1', NOW, 'warning'), score: 3 };
      await expect(store.events.putAnomalies([anomaly('pump-2', NOW, 'info'), bad])).rejects.toThrow(
        'anomaly 1 is invalid: score',
      );
      expect((await store.query.anomalies({ from: 0, to: NOW + 1, limit: 10 })).items).toEqual([]);
    });

    it('when anomalies are queried, they come newest first, filtered by time, severity and device, across pages', async () => {
      const events = [
        anomaly('pump-1', NOW - 50 * MIN, 'info'),
        anomaly('pump-1', NOW - 40 * MIN, 'critical'),
        anomaly('pump-2', NOW - 40 * MIN, 'warning'),
        anomaly('pump-2', NOW - 40 * MIN, 'warning', 'cloud'),
        anomaly('pump-3', NOW - 30 * MIN, 'critical'),
        anomaly('pump-1', NOW - 5 * MIN, 'warning'),
      ];
      await store.events.putAnomalies(events);
      const all = await drain((cursor) =>
        store.query.anomalies({ from: NOW - 45 * MIN, to: NOW, limit: 2, cursor }),
      );
      expect(all.map((e) => [e.deviceId, e.ts, e.source])).toEqual([
        ['pump-1', NOW - 5 * MIN, 'edge'],
        ['pump-3', NOW - 30 * MIN, 'edge'],
        ['pump-2', NOW - 40 * MIN, 'edge'],
        ['pump-2', NOW - 40 * MIN, 'cloud'],
        ['pump-1', NOW - 40 * MIN, 'edge'],
      ]);
      const critical = await store.query.anomalies({ from: 0, to: NOW, severities: ['critical'], limit: 10 });
      expect(critical.items.map((e) => e.deviceId)).toEqual(['pump-3', 'pump-1']);
      const pump1 = await store.query.anomalies({
        from: 0,
        to: NOW,
        deviceId: 'pump-1',
        severities: ['info', 'warning'],
        limit: 10,
      });
      expect(pump1.items.map((e) => e.severity)).toEqual(['warning', 'info']);
    });
  });

  describe('devices', () => {
    it('when devices are listed, each has its latest state and a health from recent anomalies and silence', async () => {
      await store.telemetry.write([
        reading('a-ok', NOW - MIN, { temp: 1 }),
        reading('b-warn', NOW - MIN, { temp: 2 }),
        reading('c-crit', NOW - 30 * MIN, { temp: 3 }),
        reading('d-stale', NOW - 30 * MIN, { temp: 4 }),
        reading('e-old-anomaly', NOW - MIN, { temp: 5 }),
      ]);
      await store.events.putAnomalies([
        anomaly('b-warn', NOW - 2 * MIN, 'warning'),
        anomaly('b-warn', NOW - 3 * MIN, 'info'),
        anomaly('c-crit', NOW - 10 * MIN, 'critical'),
        anomaly('e-old-anomaly', NOW - 60 * MIN, 'critical'),
      ]);
      const all = await drain((cursor) => store.query.listDevices({ limit: 2, cursor }));
      expect(all.map((d) => [d.deviceId, d.health])).toEqual([
        ['a-ok', 'ok'],
        ['b-warn', 'warning'],
        ['c-crit', 'critical'],
        ['d-stale', 'stale'],
        ['e-old-anomaly', 'ok'],
      ]);
      expect(all[1]).toMatchObject({
        latest: { time: NOW - MIN, measures: { temp: 2 } },
        lastAnomaly: { ts: NOW - 2 * MIN, severity: 'warning' },
      });
      expect((await store.query.getDevice('b-warn'))?.recentAnomalies).toEqual({
        info: 1,
        warning: 1,
        critical: 0,
      });
      expect(await store.query.getDevice('nobody')).toBeUndefined();
    });

    it('when a cursor was tampered with, the query refuses it', async () => {
      await expect(store.query.listDevices({ limit: 2, cursor: 'bm90LWpzb24' })).rejects.toThrow(
        InvalidCursor,
      );
      await expect(
        store.query.telemetry({ deviceId: 'x', from: 0, to: 1, resolution: 'raw', limit: 1, cursor: '!!' }),
      ).rejects.toThrow(InvalidCursor);
    });
  });

  describe('file', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiot-store-'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('when reopened, the data is still there and the file is in WAL mode', async () => {
      const file = path.join(dir, 'data', 'aiot.db');
      const first = openLocalStore(file);
      await first.telemetry.write([reading('pump-1', NOW, { temp: 1 })]);
      expect(first.db.pragma('journal_mode', { simple: true })).toBe('wal');
      first.close();
      const again = openLocalStore(file);
      expect((await again.query.getDevice('pump-1'))?.latest.measures).toEqual({ temp: 1 });
      again.close();
    });

    it('when the file has another schema version, opening it fails with a clear reason', () => {
      const file = path.join(dir, 'old.db');
      const db = new BetterSqlite3(file);
      db.pragma('user_version = 99');
      db.close();
      expect(() => openLocalStore(file)).toThrow('schema version 99');
    });
  });
});
