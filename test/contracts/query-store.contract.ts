import { encodeCursor, InvalidCursor } from '../../core/cursor';
import type { AnomalyEvent } from '../../core/events';
import type { PredictionEvent } from '../../core/ml/predictive';
import type {
  EventStore,
  Page,
  PredictionStore,
  QueryStore,
  TelemetryRecord,
  TelemetryStore,
  WorkOrderStore,
} from '../../core/ports';
import { RESOLUTION_MS, type Resolution, type TelemetryPoint } from '../../core/query/model';
import type { Severity } from '../../core/severity';
import { contractEnv, DAY, type Disposable, eachTest, HOUR, MIN, type SubjectEntry } from './harness/subject';
import { openRequest } from './work-order-store.contract';

export interface QueryStoreCapabilities {
  /**
   * How far back a device still counts as part of the fleet: a device silent for longer is not
   * listed and its oldest reading is sought only this far back. Absent: every device ever seen.
   */
  readonly deviceLookbackMs?: number;
}

/** The read port and the same backend's writers, to seed it. */
export interface QueryStoreSubject extends Disposable {
  readonly query: QueryStore;
  readonly telemetry: TelemetryStore;
  readonly events: EventStore;
  readonly predictions: PredictionStore;
  readonly workOrders: WorkOrderStore;
}

const reading = (
  deviceId: string,
  time: number,
  seq: number,
  measures: Record<string, number>,
  site = 'plant-1',
) => ({
  deviceId,
  site,
  time,
  seq,
  measures,
});

export const anomaly = (
  deviceId: string,
  ts: number,
  severity: Severity,
  source = 'edge',
  site = 'plant-1',
): AnomalyEvent => ({
  schema: 'aiot.event/1',
  kind: 'anomaly',
  deviceId,
  site,
  ts,
  score: severity === 'critical' ? 0.99 : severity === 'warning' ? 0.93 : 0.8,
  severity,
  measures: { temp: 90.5 },
  source,
});

export const prediction = (
  deviceId: string,
  ts: number,
  probability: number,
  model = 'xgb-1',
): PredictionEvent => ({
  schema: 'aiot.prediction/1',
  kind: 'prediction',
  deviceId,
  site: 'plant-1',
  ts,
  probability,
  horizonMs: DAY,
  model,
});

/** Every page, following cursors (at most 100 pages, so a cursor that never ends fails the test). */
async function everyPage<T>(ask: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await ask(cursor);
    pages.push([...page.items]);
    cursor = page.cursor;
  } while (cursor && pages.length < 100);
  return pages;
}

/** What a rollup must answer, computed here from the readings seeded. */
function expectedRollup(
  records: readonly TelemetryRecord[],
  resolution: Resolution,
  from: number,
  to: number,
) {
  const bucket = RESOLUTION_MS[resolution];
  const acc = new Map<string, { t: number; measure: string; values: number[] }>();
  for (const r of records) {
    if (r.time < from || r.time >= to) continue;
    for (const [measure, v] of Object.entries(r.measures)) {
      const t = r.time - (r.time % bucket);
      const key = `${t}|${measure}`;
      const a = acc.get(key) ?? { t, measure, values: [] };
      a.values.push(v);
      acc.set(key, a);
    }
  }
  return [...acc.values()]
    .sort((a, b) => a.t - b.t || (a.measure < b.measure ? -1 : 1))
    .map((a) => ({
      t: a.t,
      measure: a.measure,
      avg: a.values.reduce((x, y) => x + y, 0) / a.values.length,
      min: Math.min(...a.values),
      max: Math.max(...a.values),
      count: a.values.length,
    }));
}

function expectPoints(actual: readonly TelemetryPoint[], expected: readonly TelemetryPoint[]) {
  expect(actual.map(({ avg: _, ...p }) => p)).toEqual(expected.map(({ avg: _, ...p }) => p));
  for (const [i, p] of actual.entries()) expect(p.avg).toBeCloseTo(expected[i]!.avg, 9);
}

/**
 * The QueryStore port (core/ports/query-store.ts): devices with health, one device's detail,
 * telemetry raw and rolled up (oldest first), anomalies and predictions (newest first), work
 * orders — on an empty store (empty answers, never an error) and on a seeded one, with cursor
 * paging, severity filters and time bounds (from inclusive, to exclusive).
 */
export function queryStoreContract({
  name,
  capabilities,
  make,
  prepare,
}: SubjectEntry<QueryStoreSubject, QueryStoreCapabilities>): void {
  describe(`QueryStore contract: ${name}`, () => {
    prepare?.();
    const env = contractEnv();
    const NOW = env.now;
    const s = eachTest(make, env);

    const window = { from: NOW - 2 * HOUR, to: NOW + 1 };

    describe('on an empty store', () => {
      it('when anything is asked for, every answer is empty and none is an error', async () => {
        expect(await s.query.listDevices({ limit: 10 })).toEqual({ items: [] });
        expect(await s.query.getDevice('pump-1')).toBeUndefined();
        for (const resolution of ['raw', '1m', '1h'] as const) {
          expect(await s.query.telemetry({ deviceId: 'pump-1', ...window, resolution, limit: 10 })).toEqual({
            items: [],
          });
        }
        expect(
          await s.query.telemetry({
            deviceId: 'pump-1',
            ...window,
            measure: 'temp',
            resolution: '5m',
            limit: 10,
          }),
        ).toEqual({ items: [] });
        expect(await s.query.anomalies({ ...window, limit: 10 })).toEqual({ items: [] });
        expect(
          await s.query.anomalies({ ...window, severities: ['critical'], deviceId: 'pump-1', limit: 10 }),
        ).toEqual({ items: [] });
        expect(await s.query.predictions({ ...window, limit: 10 })).toEqual({ items: [] });
        expect(await s.query.predictions({ ...window, deviceId: 'pump-1', limit: 10 })).toEqual({
          items: [],
        });
        expect(await s.query.workOrders({})).toEqual({ items: [] });
      });

      it('when only telemetry was ever written, devices have no anomaly and no prediction, and event lists are empty', async () => {
        await s.telemetry.write([reading('pump-1', NOW - MIN, 1, { temp: 20 })]);
        expect(await s.query.listDevices({ limit: 10 })).toEqual({
          items: [
            {
              deviceId: 'pump-1',
              site: 'plant-1',
              health: 'ok',
              latest: { time: NOW - MIN, seq: 1, measures: { temp: 20 } },
            },
          ],
        });
        expect(await s.query.getDevice('pump-1')).toEqual({
          deviceId: 'pump-1',
          site: 'plant-1',
          health: 'ok',
          latest: { time: NOW - MIN, seq: 1, measures: { temp: 20 } },
          firstSeen: NOW - MIN,
          recentAnomalies: { info: 0, warning: 0, critical: 0 },
        });
        expect(await s.query.anomalies({ ...window, limit: 10 })).toEqual({ items: [] });
        expect(await s.query.predictions({ ...window, limit: 10 })).toEqual({ items: [] });
        expect(
          await s.query.telemetry({ deviceId: 'pump-2', ...window, resolution: 'raw', limit: 10 }),
        ).toEqual({
          items: [],
        });
      });

      it('when only predictions were written beside the telemetry, the device shows the latest and anomalies stay empty', async () => {
        await s.telemetry.write([reading('pump-1', NOW - MIN, 1, { temp: 20 })]);
        await s.predictions.putPredictions([
          prediction('pump-1', NOW - HOUR, 0.2),
          prediction('pump-1', NOW - MIN, 0.7),
        ]);
        expect((await s.query.getDevice('pump-1'))?.latestPrediction).toEqual({
          deviceId: 'pump-1',
          site: 'plant-1',
          ts: NOW - MIN,
          probability: 0.7,
          horizonMs: DAY,
          source: 'xgb-1',
        });
        expect(await s.query.anomalies({ ...window, limit: 10 })).toEqual({ items: [] });
        expect((await s.query.listDevices({ limit: 10 })).items[0]?.lastAnomaly).toBeUndefined();
      });
    });

    describe('on a seeded store', () => {
      // pump-1: temp and rpm every minute for the last 40 minutes, then a warning 2 min ago.
      // pump-2: last heard 20 min ago (stale), an info anomaly 1 min ago.
      // pump-3 (plant-2): vibration until 10 min ago, temp only in its newest readings; critical 5 min ago.
      const pump1 = Array.from({ length: 40 }, (_, i) =>
        reading('pump-1', NOW - (40 - i) * MIN, i, { temp: 20 + (i % 7) * 0.5, rpm: 1400 + i }),
      );
      const pump2 = [
        reading('pump-2', NOW - 30 * MIN, 1, { temp: 30 }),
        reading('pump-2', NOW - 20 * MIN, 2, { temp: 31 }),
      ];
      const pump3 = [
        reading('pump-3', NOW - 15 * MIN, 1, { vibration: 0.2 }, 'plant-2'),
        reading('pump-3', NOW - 10 * MIN, 2, { vibration: 0.4 }, 'plant-2'),
        reading('pump-3', NOW - 5 * MIN, 3, { temp: 40 }, 'plant-2'),
        reading('pump-3', NOW - 4 * MIN, 4, { temp: 41 }, 'plant-2'),
      ];
      const anomalies = [
        anomaly('pump-1', NOW - 2 * MIN, 'warning'),
        anomaly('pump-1', NOW - 40 * MIN, 'critical', 'cloud'),
        anomaly('pump-2', NOW - MIN, 'info'),
        anomaly('pump-3', NOW - 5 * MIN, 'critical', 'edge', 'plant-2'),
        anomaly('pump-3', NOW - 5 * MIN, 'warning', 'cloud', 'plant-2'),
        anomaly('pump-2', NOW - 5 * MIN, 'warning', 'edge'),
      ];
      const seed = async () => {
        const written = await s.telemetry.write([...pump1, ...pump2, ...pump3]);
        expect(written).toEqual({ written: 46, rejected: [] });
        await s.events.putAnomalies(anomalies);
        await s.predictions.putPredictions([
          prediction('pump-1', NOW - 2 * HOUR, 0.1),
          prediction('pump-1', NOW - HOUR, 0.7, 'xgb-2'),
          prediction('pump-3', NOW - 30 * MIN, 0.2),
        ]);
      };

      it('when devices are listed page by page, each comes once by id with its newest reading, last anomaly and health', async () => {
        await seed();
        const pages = await everyPage((cursor) => s.query.listDevices({ limit: 2, cursor }));
        expect(pages.map((p) => p.length)).toEqual([2, 1]);
        expect(pages.flat()).toEqual([
          {
            deviceId: 'pump-1',
            site: 'plant-1',
            health: 'warning',
            latest: { time: NOW - MIN, seq: 39, measures: pump1[39]!.measures },
            lastAnomaly: { ts: NOW - 2 * MIN, severity: 'warning', score: 0.93 },
          },
          {
            deviceId: 'pump-2',
            site: 'plant-1',
            health: 'stale',
            latest: { time: NOW - 20 * MIN, seq: 2, measures: { temp: 31 } },
            lastAnomaly: { ts: NOW - MIN, severity: 'info', score: 0.8 },
          },
          {
            deviceId: 'pump-3',
            site: 'plant-2',
            health: 'critical',
            latest: { time: NOW - 4 * MIN, seq: 4, measures: { temp: 41 } },
            lastAnomaly: expect.objectContaining({ ts: NOW - 5 * MIN }),
          },
        ]);
      });

      it('when one device is asked for, it has its first reading, recent anomalies by severity and latest prediction', async () => {
        await seed();
        expect(await s.query.getDevice('pump-1')).toEqual({
          deviceId: 'pump-1',
          site: 'plant-1',
          health: 'warning',
          latest: { time: NOW - MIN, seq: 39, measures: pump1[39]!.measures },
          lastAnomaly: { ts: NOW - 2 * MIN, severity: 'warning', score: 0.93 },
          firstSeen: NOW - 40 * MIN,
          recentAnomalies: { info: 0, warning: 1, critical: 0 },
          latestPrediction: {
            deviceId: 'pump-1',
            site: 'plant-1',
            ts: NOW - HOUR,
            probability: 0.7,
            horizonMs: DAY,
            source: 'xgb-2',
          },
        });
        expect((await s.query.getDevice('pump-3'))?.recentAnomalies).toEqual({
          info: 0,
          warning: 1,
          critical: 1,
        });
        expect(await s.query.getDevice('pump-9')).toBeUndefined();
      });

      it('when raw telemetry of one measure is asked for, every reading in [from, to) comes oldest first, also across pages', async () => {
        await seed();
        const q = {
          deviceId: 'pump-1',
          from: NOW - 30 * MIN,
          to: NOW - 10 * MIN,
          measure: 'temp',
          resolution: 'raw' as const,
        };
        const expected = pump1
          .filter((r) => r.time >= q.from && r.time < q.to)
          .map((r) => ({
            t: r.time,
            measure: 'temp',
            avg: r.measures.temp!,
            min: r.measures.temp!,
            max: r.measures.temp!,
            count: 1,
          }));
        expect(expected).toHaveLength(20);
        expect((await s.query.telemetry({ ...q, limit: 100 })).items).toEqual(expected);
        const pages = await everyPage((cursor) => s.query.telemetry({ ...q, limit: 7, cursor }));
        expect(pages.map((p) => p.length)).toEqual([7, 7, 6]);
        expect(pages.flat()).toEqual(expected);
      });

      for (const resolution of ['1m', '5m', '15m', '1h', '1d'] as const) {
        it(`when telemetry is rolled up by ${resolution}, each bucket of each measure has avg, min, max and count, pages included`, async () => {
          await seed();
          const q = { deviceId: 'pump-1', from: NOW - 37 * MIN, to: NOW - 3 * MIN, resolution };
          const expected = expectedRollup(pump1, resolution, q.from, q.to);
          expectPoints((await s.query.telemetry({ ...q, limit: 500 })).items, expected);
          const pages = await everyPage((cursor) => s.query.telemetry({ ...q, limit: 3, cursor }));
          expectPoints(pages.flat(), expected);
        });
      }

      it('when no measure is named, every measure the device has in the range is rolled up, not only those of its newest reading', async () => {
        await seed();
        const q = { deviceId: 'pump-3', from: NOW - HOUR, to: NOW, resolution: '1h' as const };
        expectPoints(
          (await s.query.telemetry({ ...q, limit: 10 })).items,
          expectedRollup(pump3, '1h', q.from, q.to),
        );
        expect(
          await s.query.telemetry({
            deviceId: 'pump-3',
            from: NOW - HOUR,
            to: NOW,
            measure: 'rpm',
            resolution: 'raw',
            limit: 10,
          }),
        ).toEqual({ items: [] });
      });

      it('when anomalies are listed, they come newest first (then device, then source, highest first), filtered and paged', async () => {
        await seed();
        const all = await s.query.anomalies({ ...window, limit: 100 });
        expect(all.items.map((e) => [e.deviceId, e.ts, e.source])).toEqual([
          ['pump-2', NOW - MIN, 'edge'],
          ['pump-1', NOW - 2 * MIN, 'edge'],
          ['pump-3', NOW - 5 * MIN, 'edge'],
          ['pump-3', NOW - 5 * MIN, 'cloud'],
          ['pump-2', NOW - 5 * MIN, 'edge'],
          ['pump-1', NOW - 40 * MIN, 'cloud'],
        ]);
        expect(all.items).toContainEqual(anomalies[3]);
        const pages = await everyPage((cursor) => s.query.anomalies({ ...window, limit: 2, cursor }));
        expect(pages.map((p) => p.length)).toEqual([2, 2, 2]);
        expect(pages.flat()).toEqual(all.items);
        const critical = await s.query.anomalies({ ...window, severities: ['critical'], limit: 10 });
        expect(critical.items.map((e) => [e.deviceId, e.ts])).toEqual([
          ['pump-3', NOW - 5 * MIN],
          ['pump-1', NOW - 40 * MIN],
        ]);
        const pump3Warnings = await s.query.anomalies({
          ...window,
          deviceId: 'pump-3',
          severities: ['info', 'warning'],
          limit: 10,
        });
        expect(pump3Warnings.items).toEqual([anomalies[4]]);
        const bounded = await s.query.anomalies({ from: NOW - 5 * MIN, to: NOW - MIN, limit: 10 });
        expect(bounded.items.map((e) => e.ts)).toEqual([
          NOW - 2 * MIN,
          NOW - 5 * MIN,
          NOW - 5 * MIN,
          NOW - 5 * MIN,
        ]);
      });

      it('when predictions are listed, they come newest first, per device or all, in bounds and paged', async () => {
        await seed();
        const all = await s.query.predictions({ ...window, limit: 10 });
        expect(all.items.map((p) => [p.deviceId, p.ts, p.probability, p.source])).toEqual([
          ['pump-3', NOW - 30 * MIN, 0.2, 'xgb-1'],
          ['pump-1', NOW - HOUR, 0.7, 'xgb-2'],
          ['pump-1', NOW - 2 * HOUR, 0.1, 'xgb-1'],
        ]);
        const pages = await everyPage((cursor) => s.query.predictions({ ...window, limit: 1, cursor }));
        expect(pages.flat()).toEqual(all.items);
        const pump1Recent = await s.query.predictions({
          deviceId: 'pump-1',
          from: NOW - 2 * HOUR + 1,
          to: NOW,
          limit: 10,
        });
        expect(pump1Recent.items.map((p) => p.probability)).toEqual([0.7]);
      });

      it('when work orders exist, the query port lists them newest first', async () => {
        await s.workOrders.open(openRequest('pump-1', NOW - 15 * MIN), NOW - 2 * MIN);
        await s.workOrders.open(openRequest('pump-3', NOW - 15 * MIN), NOW - MIN);
        const page = await s.query.workOrders({ limit: 10 });
        expect(page.items.map((o) => o.deviceId)).toEqual(['pump-3', 'pump-1']);
      });

      it('when a cursor was tampered with, the query refuses it', async () => {
        await seed();
        await expect(s.query.listDevices({ limit: 1, cursor: 'garbage' })).rejects.toThrow(InvalidCursor);
        await expect(
          s.query.telemetry({
            deviceId: 'pump-1',
            ...window,
            resolution: 'raw',
            limit: 1,
            cursor: encodeCursor({ t: 'x' }),
          }),
        ).rejects.toThrow(InvalidCursor);
        await expect(
          s.query.anomalies({ ...window, limit: 1, cursor: encodeCursor({ t: 1, d: "'; --", s: 'x' }) }),
        ).rejects.toThrow(InvalidCursor);
      });

      it('when a device has been silent longer than the store looks back, it follows the store’s fleet rule', async () => {
        const longAgo = NOW - (capabilities.deviceLookbackMs ?? 30 * DAY) - DAY;
        await s.telemetry.write([reading('pump-old', longAgo, 1, { temp: 5 })]);
        await s.telemetry.write([reading('pump-new', NOW - MIN, 1, { temp: 6 })]);
        const listed = (await s.query.listDevices({ limit: 10 })).items.map((d) => [d.deviceId, d.health]);
        if (capabilities.deviceLookbackMs !== undefined) {
          expect(listed).toEqual([['pump-new', 'ok']]);
          expect(await s.query.getDevice('pump-old')).toBeUndefined();
        } else {
          expect(listed).toEqual([
            ['pump-new', 'ok'],
            ['pump-old', 'stale'],
          ]);
          expect((await s.query.getDevice('pump-old'))?.firstSeen).toBe(longAgo);
        }
      });
    });
  });
}
