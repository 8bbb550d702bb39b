/**
 * The InfluxDB read side (TimeSeriesQueries, HistoryReader) and EventStore against a real
 * InfluxDB 1.x, one server for the file and one database per test: the same behaviours the local
 * SQLite store is held to (test/unit/local-store), with the same cursors.
 */
import fc from 'fast-check';
import { InvalidCursor } from '../../../core/cursor';
import type { PredictionEvent } from '../../../core/ml/predictive';
import {
  InfluxEventStore,
  InfluxEventsRefusedError,
  InfluxQueryStore,
  InfluxRequestError,
  InfluxTelemetryStore,
} from '../../../lambda/shared/influxdb';
import { anomaly, drain, reading } from '../../fixtures/time-series';
import { FaultyRelay } from './relay';
import { InfluxServer } from './server';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const MIN = 60_000;

function prediction(ts: number, probability: number, deviceId = 'pump-1'): PredictionEvent {
  return {
    schema: 'aiot.prediction/1',
    kind: 'prediction',
    deviceId,
    site: 'plant-1',
    ts,
    probability,
    horizonMs: 86_400_000,
    model: 'xgboost-3',
  };
}

describe('InfluxDB read side on a real InfluxDB', () => {
  let server: InfluxServer;
  beforeAll(async () => {
    server = await InfluxServer.create();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  /** The three adapters on a fresh database, reading at NOW. */
  async function stores(database?: string) {
    const db = database ?? (await server.database());
    const client = server.client();
    return {
      telemetry: new InfluxTelemetryStore({ client, database: db }),
      events: new InfluxEventStore({ client, database: db }),
      query: new InfluxQueryStore({ client, database: db, clock: () => NOW }),
    };
  }

  describe('an empty store', () => {
    it.each([
      ['an empty database', undefined],
      ['a database that does not exist yet', 'not_created_yet'],
    ])('when %s is read, every list is empty and no device is found', async (_, database) => {
      const { query } = await stores(database);
      expect(await query.listDevices({ limit: 10 })).toEqual({ items: [] });
      expect(await query.getDevice('pump-1')).toBeUndefined();
      for (const resolution of ['raw', '1h'] as const)
        expect(
          await query.telemetry({ deviceId: 'pump-1', from: 0, to: NOW, resolution, limit: 10 }),
        ).toEqual({
          items: [],
        });
      expect(await query.anomalies({ from: 0, to: NOW, limit: 10 })).toEqual({ items: [] });
      expect(await query.predictions({ from: 0, to: NOW, limit: 10 })).toEqual({ items: [] });
      expect(await query.recent('pump-1', 0, NOW)).toEqual([]);
    });

    it('when a read is answered 404 naming a database that does not exist yet, the list is empty; another 404 stays an error', async () => {
      const relay = new FaultyRelay(server.httpPort);
      await relay.start();
      try {
        const query = new InfluxQueryStore({
          client: server.client({ url: relay.url }),
          database: 'fresh',
          clock: () => NOW,
        });
        relay.inject({ kind: 'status', status: 404, error: 'database not found: fresh' }, 2);
        expect(await query.anomalies({ from: 0, to: NOW, limit: 10 })).toEqual({ items: [] });
        expect(await query.listDevices({ limit: 10 })).toEqual({ items: [] });
        relay.inject({ kind: 'status', status: 404, error: 'page not found' });
        await expect(query.anomalies({ from: 0, to: NOW, limit: 10 })).rejects.toThrow(InfluxRequestError);
      } finally {
        await relay.stop();
      }
    });

    it('when only readings exist, anomalies and predictions are empty and the device has no anomaly or prediction', async () => {
      const { telemetry, query } = await stores();
      await telemetry.write([reading('pump-1', NOW - MIN, { temp: 1 })]);
      expect(await query.anomalies({ from: 0, to: NOW, limit: 10 })).toEqual({ items: [] });
      expect(await query.predictions({ from: 0, to: NOW, limit: 10 })).toEqual({ items: [] });
      expect(await query.getDevice('pump-1')).toEqual({
        deviceId: 'pump-1',
        site: 'plant-1',
        health: 'ok',
        latest: { time: NOW - MIN, seq: 1, measures: { temp: 1 } },
        firstSeen: NOW - MIN,
        recentAnomalies: { info: 0, warning: 0, critical: 0 },
      });
    });
  });

  describe('telemetry', () => {
    it('when rolled up, buckets carry avg, min, max and count per measure', async () => {
      const { telemetry, query } = await stores();
      const t0 = NOW - 10 * MIN;
      await telemetry.write([
        reading('pump-1', t0, { temp: 10, rpm: 100 }),
        reading('pump-1', t0 + 20_000, { temp: 20 }),
        reading('pump-1', t0 + 40_000, { temp: 60, rpm: 300 }),
        reading('pump-1', t0 + MIN, { temp: 5 }),
        reading('pump-2', t0, { temp: 1000 }),
      ]);
      const page = await query.telemetry({
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
      const onlyRpm = await query.telemetry({
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
      const unknown = await query.telemetry({
        deviceId: 'pump-1',
        from: t0,
        to: NOW,
        measure: 'flow',
        resolution: '1m',
        limit: 10,
      });
      expect(unknown).toEqual({ items: [] });
    });

    it.each(['raw', '5m', '1d'] as const)(
      'when paged at %s, the pages together equal the unpaged answer even when a page ends inside a bucket or a reading',
      async (resolution) => {
        const { telemetry, query } = await stores();
        const t0 = NOW - 60 * MIN;
        await telemetry.write(
          Array.from({ length: 120 }, (_, i) =>
            reading(
              'pump-1',
              t0 + i * 30_000,
              i % 5 === 0 ? { temp: i } : { temp: i, rpm: 2 * i, vib: i % 7 },
            ),
          ),
        );
        const q = { deviceId: 'pump-1', from: t0, to: NOW, resolution };
        const whole = await query.telemetry({ ...q, limit: 1000 });
        const paged = await drain((cursor) => query.telemetry({ ...q, limit: 7, cursor }));
        expect(whole.cursor).toBeUndefined();
        expect(paged).toEqual(whole.items);
        expect(paged).toHaveLength({ raw: 96 * 3 + 24, '5m': 36, '1d': 3 }[resolution]);
      },
    );

    it('when the enrich step reads history, it gets the device readings in [since, until), oldest first', async () => {
      const { telemetry, query } = await stores();
      await telemetry.write([
        reading('pump-1', NOW - 3 * MIN, { temp: 1 }, 1),
        reading('pump-1', NOW - 2 * MIN, { temp: 2 }, 2),
        reading('pump-2', NOW - 2 * MIN, { temp: 9 }, 1),
        reading('pump-1', NOW - MIN, { temp: 3 }, 3),
      ]);
      expect(await query.recent('pump-1', NOW - 2 * MIN, NOW - MIN)).toEqual([
        reading('pump-1', NOW - 2 * MIN, { temp: 2 }, 2),
      ]);
      expect((await query.recent('pump-1', 0, NOW)).map((r) => r.seq)).toEqual([1, 2, 3]);
    });
  });

  describe('events', () => {
    it('when the same anomaly is delivered twice (even with another severity), the first copy is kept', async () => {
      const { events, query } = await stores();
      const e = anomaly('pump-1', NOW - MIN, 'warning');
      await events.putAnomalies([e]);
      await events.putAnomalies([e, { ...e, severity: 'critical' }]);
      expect(await query.anomalies({ from: 0, to: NOW + 1, limit: 10 })).toEqual({ items: [e] });
    });

    it('when an anomaly breaks its schema, the write throws with the reason and stores nothing', async () => {
      const { events, query } = await stores();
      const bad = { ...anomaly('pump-1', NOW, 'warning'), score: 3 };
      await expect(events.putAnomalies([anomaly('pump-2', NOW, 'info'), bad])).rejects.toThrow(
        'anomaly 1 is invalid: score',
      );
      const unwritable = { ...anomaly('pump-1', NOW, 'warning'), source: 'edge\\1' };
      await expect(events.putAnomalies([unwritable])).rejects.toThrow(
        'anomaly 0 is invalid: tag "source" must not contain a backslash',
      );
      expect(await query.anomalies({ from: 0, to: NOW + 1, limit: 10 })).toEqual({ items: [] });
    });

    it('when a source holds characters line protocol must escape, it reads back unchanged', async () => {
      const { events, query } = await stores();
      const tricky = fc.string({
        unit: fc.constantFrom('a', 'Z', '9', ' ', ',', '=', '"', "'", ';', '-', '(', ')', '*', 'é', '⚙'),
        minLength: 1,
        maxLength: 24,
      });
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.uniqueArray(tricky, { minLength: 1, maxLength: 4 }), async (sources) => {
          // Each run at its own instants: the first copy of an event is kept, so runs must not meet.
          const at = NOW - 10 * MIN + 10 * run++;
          const written = sources.map((source, i) => anomaly(`dev-${i}`, at + i, 'info', source));
          await events.putAnomalies(written);
          const read = await query.anomalies({ from: at, to: at + 10, limit: 10 });
          expect(read.items).toHaveLength(written.length);
          const bySource = new Map(read.items.map((e) => [`${e.deviceId}/${e.ts}`, e.source]));
          for (const e of written) expect(bySource.get(`${e.deviceId}/${e.ts}`)).toBe(e.source);
        }),
        { numRuns: 20, seed: 12 },
      );
    });

    it('when anomalies are queried, they come newest first, filtered by time, severity and device, across pages', async () => {
      const { events, query } = await stores();
      await events.putAnomalies([
        anomaly('pump-1', NOW - 50 * MIN, 'info'),
        anomaly('pump-1', NOW - 40 * MIN, 'critical'),
        anomaly('pump-2', NOW - 40 * MIN, 'warning'),
        anomaly('pump-2', NOW - 40 * MIN, 'warning', 'cloud'),
        anomaly('pump-3', NOW - 30 * MIN, 'critical'),
        anomaly('pump-1', NOW - 5 * MIN, 'warning'),
      ]);
      for (const limit of [1, 2, 3]) {
        const all = await drain((cursor) =>
          query.anomalies({ from: NOW - 45 * MIN, to: NOW, limit, cursor }),
        );
        expect(all.map((e) => [e.deviceId, e.ts, e.source])).toEqual([
          ['pump-1', NOW - 5 * MIN, 'edge'],
          ['pump-3', NOW - 30 * MIN, 'edge'],
          ['pump-2', NOW - 40 * MIN, 'edge'],
          ['pump-2', NOW - 40 * MIN, 'cloud'],
          ['pump-1', NOW - 40 * MIN, 'edge'],
        ]);
      }
      const critical = await query.anomalies({ from: 0, to: NOW, severities: ['critical'], limit: 10 });
      expect(critical.items.map((e) => e.deviceId)).toEqual(['pump-3', 'pump-1']);
      const pump1 = await query.anomalies({
        from: 0,
        to: NOW,
        deviceId: 'pump-1',
        severities: ['info', 'warning'],
        limit: 10,
      });
      expect(pump1.items.map((e) => e.severity)).toEqual(['warning', 'info']);
    });

    it('when many anomalies share one instant, pages split them in (device, source) order without loss', async () => {
      const { events, query } = await stores();
      const same = Array.from({ length: 23 }, (_, i) =>
        anomaly(`dev-${String(i % 8).padStart(2, '0')}`, NOW - MIN, 'info', `src-${Math.floor(i / 8)}`),
      );
      await events.putAnomalies([
        ...same,
        anomaly('dev-00', NOW - 2 * MIN, 'info'),
        anomaly('dev-99', NOW, 'info'),
      ]);
      const all = await drain((cursor) => query.anomalies({ from: 0, to: NOW + 1, limit: 4, cursor }));
      const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
      const expected = [
        ['dev-99', 'edge'],
        ...same
          .map((e) => [e.deviceId, e.source] as const)
          .sort(([d1, s1], [d2, s2]) => (d1 === d2 ? cmp(s2, s1) : cmp(d2, d1))),
        ['dev-00', 'edge'],
      ];
      expect(all.map((e) => [e.deviceId, e.source])).toEqual(expected);
    });

    it('when the server refuses some events, the others are stored and the error names the refused ones with its reason', async () => {
      // The retention policy judges by the server's clock, so these events are placed by the real time.
      const database = await server.database({ retention: '1h' });
      const { events } = await stores(database);
      const now = Date.now();
      const query = new InfluxQueryStore({ client: server.client(), database, clock: () => now });
      const fresh = anomaly('pump-1', now - MIN, 'warning');
      const put = events.putAnomalies([anomaly('pump-1', now - 3 * 60 * MIN, 'info'), fresh]);
      await expect(put).rejects.toThrow(InfluxEventsRefusedError);
      await expect(put).rejects.toThrow(
        'refused 1 of 2 anomaly events (the others are stored): anomaly 0: partial write: points beyond retention policy',
      );
      expect((await query.anomalies({ from: 0, to: now, limit: 10 })).items).toEqual([fresh]);
    });

    it('when predictions are stored, they are listed newest first per device and shown on the device', async () => {
      const { telemetry, events, query } = await stores();
      await telemetry.write([reading('pump-1', NOW - MIN, { temp: 1 })]);
      await events.putPredictions([
        prediction(NOW - 2 * MIN, 0.1),
        prediction(NOW - MIN, 0.7),
        prediction(NOW, 0.2, 'pump-2'),
      ]);
      const page = await query.predictions({ deviceId: 'pump-1', from: 0, to: NOW + 1, limit: 10 });
      expect(page.items.map((x) => x.probability)).toEqual([0.7, 0.1]);
      expect((await query.getDevice('pump-1'))?.latestPrediction).toEqual({
        deviceId: 'pump-1',
        site: 'plant-1',
        ts: NOW - MIN,
        probability: 0.7,
        horizonMs: 86_400_000,
        source: 'xgboost-3',
      });
      await expect(events.putPredictions([prediction(NOW, 1.5)])).rejects.toThrow('probability');
    });
  });

  describe('devices', () => {
    it('when devices are listed, each has its latest state and a health from recent anomalies and silence', async () => {
      const { telemetry, events, query } = await stores();
      await telemetry.write([
        reading('a-ok', NOW - MIN, { temp: 1 }),
        reading('b-warn', NOW - MIN, { temp: 2 }),
        reading('c-crit', NOW - 30 * MIN, { temp: 3 }),
        reading('d-stale', NOW - 30 * MIN, { temp: 4 }),
        reading('e-old-anomaly', NOW - MIN, { temp: 5 }),
        reading('f-gone', NOW - 8 * 24 * 60 * MIN, { temp: 6 }),
      ]);
      await events.putAnomalies([
        anomaly('b-warn', NOW - 2 * MIN, 'warning'),
        anomaly('b-warn', NOW - 3 * MIN, 'info'),
        anomaly('c-crit', NOW - 10 * MIN, 'critical'),
        anomaly('e-old-anomaly', NOW - 60 * MIN, 'critical'),
      ]);
      const all = await drain((cursor) => query.listDevices({ limit: 2, cursor }));
      // f-gone's only reading is older than the 7-day lookback: no longer part of the fleet.
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
      expect((await query.getDevice('b-warn'))?.recentAnomalies).toEqual({
        info: 1,
        warning: 1,
        critical: 0,
      });
      expect(await query.getDevice('nobody')).toBeUndefined();
    });

    it('when readings arrive out of order, the device keeps the newest as its latest state', async () => {
      const { telemetry, query } = await stores();
      await telemetry.write([reading('pump-1', NOW - MIN, { temp: 2 }, 2)]);
      await telemetry.write([reading('pump-1', NOW - 5 * MIN, { temp: 1 }, 1)]);
      expect(await query.getDevice('pump-1')).toMatchObject({
        firstSeen: NOW - 5 * MIN,
        latest: { time: NOW - MIN, seq: 2 },
      });
    });

    it('when a cursor was tampered with, the query refuses it', async () => {
      const { query } = await stores();
      await expect(query.listDevices({ limit: 2, cursor: 'bm90LWpzb24' })).rejects.toThrow(InvalidCursor);
      await expect(
        query.telemetry({ deviceId: 'x', from: 0, to: 1, resolution: 'raw', limit: 1, cursor: '!!' }),
      ).rejects.toThrow(InvalidCursor);
    });
  });
});
