import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { AnomalyEvent } from '../../core/events';
import { featureWindowsSelect, lakeDatasets, trainingSelect } from '../../core/lake/queries';
import { anomalyRows, EVENTS, predictionRows, READINGS, workOrderRows } from '../../core/lake/schema';
import { TRAINING_MEASURES } from '../../core/ml/features';
import type { TelemetryRecord } from '../../core/ports';
import type { WorkOrder } from '../../core/workorders';
import { withLakeTelemetry } from '../../lambda/shared/firehose-lake';
import { ParquetLake } from '../../local/lake/parquet-lake';

/**
 * The lake path without AWS: the rows the functions send to Firehose, written as Parquet in the
 * S3 layout, read back by DuckDB with the very statements QuickSight's datasets and retraining
 * run on Athena (core/lake/queries.ts).
 */
const DB = 'aiot_test';
const MEASURES = [...TRAINING_MEASURES];
const DEVICES = ['AIOT-0000000A', 'AIOT-0000000B', 'AIOT-0000000C'];
// Two minutes of readings at 1 Hz, two hours back from a whole minute (the datasets look back
// whole days from the engine's current date, so the data sits just before now).
const START = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 3_600_000;
const PER_DEVICE = 120;

/** Deterministic readings: every training measure on every reading but each tenth, which lacks pressure. */
function readings(): TelemetryRecord[] {
  return DEVICES.flatMap((deviceId, d) =>
    Array.from({ length: PER_DEVICE }, (_, i) => {
      const measures: Record<string, number> = {
        vibration_rms: 2 + d + (i % 7) / 10,
        bearing_temp_c: 40 + d + (i % 5),
        motor_current_a: 10 + (i % 3),
      };
      if (i % 10 !== 0) measures.pressure_kpa = 300 + (i % 11);
      return { deviceId, site: 'plant-a', time: START + i * 1000, seq: i, measures };
    }),
  );
}

const anomaly = (deviceId: string, ts: number): AnomalyEvent => ({
  schema: 'aiot.event/1',
  kind: 'anomaly',
  deviceId,
  site: 'plant-a',
  ts,
  score: 0.97,
  severity: 'critical',
  measures: { bearing_temp_c: 92.5 },
  source: 'cloud-endpoint',
});

const order = (status: WorkOrder['status'], updatedAt: number): WorkOrder => ({
  id: 'WO-1',
  deviceId: 'AIOT-0000000A',
  site: 'plant-a',
  severity: 'critical',
  status,
  openedAt: START,
  updatedAt,
  window: { start: START, end: START + 60_000 },
  reason: 'score 0.97',
  score: 0.97,
});

let instance: DuckDBInstance;
let conn: DuckDBConnection;
let root: string;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
});
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'aiot-lake-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJS();
}

const datasets = () =>
  lakeDatasets(
    { database: DB },
    { telemetryDays: 7, eventDays: 30, measures: ['vibration_rms', 'bearing_temp_c'] },
  );

describe('the data lake, locally (Parquet by date, read with the datasets’ and retraining’s SQL)', () => {
  it('when the lake is empty, every dataset and retraining statement answers no rows, not an error', async () => {
    const lake = new ParquetLake(conn, root);
    await lake.attach(DB);
    for (const q of Object.values(datasets())) expect(await rows(q.sql)).toEqual([]);
    const range = { measures: MEASURES, sinceMs: START - 86_400_000, untilMs: START + 86_400_000 };
    expect(await rows(trainingSelect({ database: DB }, range))).toEqual([]);
    expect(await rows(featureWindowsSelect({ database: DB }, { ...range, windowMinutes: 60 }))).toEqual([]);
  });

  it('when readings, anomalies, predictions and work orders are written, they land in dt= partitions and read back through the same SQL', async () => {
    const lake = new ParquetLake(conn, root);
    // Through the same decorator the stream processor uses: the store answers, the lake gets the rows.
    const telemetry = withLakeTelemetry(
      { write: async (rs) => ({ written: rs.length, rejected: [] }) },
      lake.sink(READINGS),
    );
    const all = readings();
    await telemetry.write(all.slice(0, 200));
    await telemetry.write(all.slice(200));
    await lake.write(
      EVENTS,
      anomalyRows([anomaly('AIOT-0000000A', START + 30_000), anomaly('AIOT-0000000B', START + 90_000)]),
    );
    await lake.write(
      EVENTS,
      predictionRows([
        {
          schema: 'aiot.prediction/1',
          kind: 'prediction',
          deviceId: 'AIOT-0000000C',
          site: 'plant-a',
          ts: START + 60_000,
          probability: 0.4,
          horizonMs: 86_400_000,
          model: 'xgb-1',
        },
      ]),
    );
    // The mirror writes an order's states over several runs, the same state more than once.
    await lake.write(EVENTS, workOrderRows([order('open', START + 1000), order('open', START + 1000)]));
    await lake.write(EVENTS, workOrderRows([order('acknowledged', START + 5000)]));

    const days = new Set(all.map((r) => new Date(r.time).toISOString().slice(0, 10)));
    expect(readdirSync(path.join(root, 'readings')).sort()).toEqual([...days].sort().map((d) => `dt=${d}`));
    await lake.attach(DB);
    const q = datasets();

    // 1-minute rollups of the charted measures: 3 devices × 2 minutes × 2 measures, 60 readings each.
    const rollups = await rows(q.telemetry.sql);
    expect(rollups).toHaveLength(DEVICES.length * 2 * 2);
    for (const r of rollups) expect(Number(r.readings)).toBe(60);
    const a = rollups.find((r) => r.device_id === 'AIOT-0000000A' && r.measure === 'bearing_temp_c')!;
    expect(Number(a.min_value)).toBe(40);
    expect(Number(a.max_value)).toBe(44);
    expect(Object.keys(a).sort()).toEqual(q.telemetry.columns.map((c) => c.name).sort());

    const anomalies = await rows(q.anomalies.sql);
    expect(anomalies.map((r) => r.device_id).sort()).toEqual(['AIOT-0000000A', 'AIOT-0000000B']);
    expect(Object.keys(anomalies[0]!).sort()).toEqual(q.anomalies.columns.map((c) => c.name).sort());

    const predictions = await rows(q.predictions.sql);
    expect(predictions).toEqual([
      expect.objectContaining({
        device_id: 'AIOT-0000000C',
        source: 'xgb-1',
        probability: 0.4,
        horizon_ms: 86_400_000n,
      }),
    ]);

    // One row per order, its latest state.
    const orders = await rows(q.workOrders.sql);
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ work_order_id: 'WO-1', status: 'acknowledged', severity: 'critical' });

    // Retraining: one row per reading holding every training measure (the tenth lacking pressure left out).
    const range = { sinceMs: START, untilMs: START + PER_DEVICE * 1000 };
    const training = await rows(trainingSelect({ database: DB }, { measures: MEASURES, ...range }));
    expect(training).toHaveLength(DEVICES.length * (PER_DEVICE - PER_DEVICE / 10));
    expect(Object.keys(training[0]!)).toEqual(MEASURES);
    const withKeys = await rows(
      trainingSelect({ database: DB }, { measures: MEASURES, ...range, withKeys: true }),
    );
    expect(withKeys[0]).toMatchObject({ device_id: 'AIOT-0000000A', site: 'plant-a', seq: 1n });

    // The predictor's hourly feature windows: each device's readings in one or two hours.
    const windows = await rows(
      featureWindowsSelect({ database: DB }, { measures: MEASURES, ...range, windowMinutes: 60 }),
    );
    expect(windows.length).toBeGreaterThanOrEqual(DEVICES.length);
    expect(windows.length).toBeLessThanOrEqual(2 * DEVICES.length);
    expect(Object.keys(windows[0]!)).toHaveLength(3 + MEASURES.length * 4);
  });
});
