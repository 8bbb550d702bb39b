/**
 * The InfluxDB TelemetryStore against a real InfluxDB 1.x (`influxd`, Debian's `influxdb`), one
 * server for the file and one database per test. Faults are real too: a relay in front of the
 * server drops, stalls or refuses requests, and the server itself is stopped and started again.
 */
import type { TelemetryRecord } from '../../../core/ports';
import {
  type InfluxClient,
  InfluxQueryStore,
  InfluxRequestError,
  InfluxTelemetryStore,
  InfluxUnavailableError,
} from '../../../lambda/shared/influxdb';
import { reading } from '../../fixtures/time-series';
import { FaultyRelay } from './relay';
import { InfluxServer } from './server';

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
const SEC = 1000;

/** `n` readings of `devices` devices, one a second each, values from a fixed formula. */
function fleet(n: number, devices = 3, start = T0): TelemetryRecord[] {
  return Array.from({ length: n }, (_, i) =>
    reading(
      `pump-${i % devices}`,
      start + Math.floor(i / devices) * SEC,
      { temp: 20 + (i % 17) / 4, rpm: 1000 + i },
      7 + i,
    ),
  );
}

async function storedCount(client: InfluxClient, database: string): Promise<number> {
  const [result] = await client.query(database, 'SELECT count("seq") AS n FROM "telemetry"');
  return (result?.rows[0]?.n as number | undefined) ?? 0;
}

describe('InfluxTelemetryStore on a real InfluxDB', () => {
  let server: InfluxServer;
  beforeAll(async () => {
    server = await InfluxServer.create();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('when readings are written, they read back exactly and an identical replay is accepted without a second copy', async () => {
    const database = await server.database();
    const client = server.client();
    const store = new InfluxTelemetryStore({ client, database, batchSize: 40 });
    const records = fleet(150);
    expect(await store.write(records)).toEqual({ written: 150, rejected: [] });
    // A replay (the same readings again, measures in another key order) is no conflict.
    const replay = records.map((r) => ({ ...r, measures: { rpm: r.measures.rpm!, temp: r.measures.temp! } }));
    expect(await store.write(replay)).toEqual({ written: 150, rejected: [] });
    expect(await storedCount(client, database)).toBe(150);

    const history = new InfluxQueryStore({ client, database, clock: () => T0 + 3600 * SEC });
    const pump1 = await history.recent('pump-1', T0, T0 + 3600 * SEC);
    expect(pump1).toEqual(records.filter((r) => r.deviceId === 'pump-1'));
  });

  it('when another reading arrives for a stored device and time, it is rejected as a conflict and the rest of the batch is written', async () => {
    const database = await server.database();
    const client = server.client();
    const store = new InfluxTelemetryStore({ client, database });
    await store.write([reading('pump-1', T0 - 60 * SEC, { temp: 20 })]);
    const result = await store.write([
      reading('pump-1', T0 - 120 * SEC, { temp: 19 }),
      reading('pump-1', T0 - 60 * SEC, { temp: 21 }),
      reading('pump-1', T0 - 60 * SEC, { temp: 20 }, 2),
      { ...reading('pump-1', T0 - 60 * SEC, { temp: 20 }), site: 'plant-2' },
      reading('pump-1', T0 - 30 * SEC, { temp: 22 }),
      reading('pump-1', T0 - 30 * SEC, { temp: 23 }),
    ]);
    expect(result.written).toBe(2);
    expect(result.rejected).toEqual([
      { index: 1, kind: 'conflict', reason: expect.stringContaining('already stored') },
      { index: 2, kind: 'conflict', reason: expect.stringContaining('seq 1') },
      { index: 3, kind: 'conflict', reason: expect.stringContaining('already stored') },
      { index: 5, kind: 'conflict', reason: expect.stringContaining('already stored') },
    ]);
    const stored = await new InfluxQueryStore({ client, database, clock: () => T0 }).recent('pump-1', 0, T0);
    expect(stored.map((r) => [r.time, r.site, r.measures.temp])).toEqual([
      [T0 - 120 * SEC, 'plant-1', 19],
      [T0 - 60 * SEC, 'plant-1', 20],
      [T0 - 30 * SEC, 'plant-1', 22],
    ]);
  });

  it('when conflict detection is off, InfluxDB keeps the last write and merges its fields', async () => {
    const database = await server.database();
    const client = server.client();
    const store = new InfluxTelemetryStore({ client, database, detectConflicts: false });
    await store.write([reading('pump-1', T0, { temp: 20, rpm: 1500 })]);
    expect(await store.write([reading('pump-1', T0, { temp: 21 }, 2)])).toEqual({ written: 1, rejected: [] });
    const [stored] = await new InfluxQueryStore({ client, database, clock: () => T0 }).recent(
      'pump-1',
      0,
      T0 + 1,
    );
    // A reading that was never sent: the second's temp and seq with the first's rpm.
    expect(stored).toEqual(reading('pump-1', T0, { temp: 21, rpm: 1500 }, 2));
  });

  it('when readings are invalid, they are rejected with the reason before they reach the server', async () => {
    const database = await server.database();
    const relay = new FaultyRelay(server.httpPort);
    await relay.start();
    try {
      const store = new InfluxTelemetryStore({ client: server.client({ url: relay.url }), database });
      const result = await store.write([
        reading('pump-1', T0, { temp: Number.NaN }),
        reading('pump 1', T0, { temp: 1 }),
        reading('pump-1', T0, {}),
        reading('pump-1', T0, { Temp: 1 }),
        reading('pump-1', T0, { seq: 1 }),
        reading('pump-1', T0 + 1, { time: 1 }),
        reading('pump-1', T0 + 2, { site: 1 }),
        reading('pump-1', T0, { temp: 1 }),
      ]);
      expect(result.written).toBe(1);
      expect(result.rejected.map((r) => [r.index, r.kind])).toEqual([
        [0, 'invalid'],
        [1, 'invalid'],
        [2, 'invalid'],
        [3, 'invalid'],
        [4, 'invalid'],
        [5, 'invalid'],
        [6, 'invalid'],
      ]);
      expect(result.rejected[0]!.reason).toContain('finite');
      expect(result.rejected[4]!.reason).toContain('"seq" is reserved');
      // One conflict check and one write, holding only the valid reading.
      expect(relay.seen).toEqual(['/query', '/write']);
    } finally {
      await relay.stop();
    }
  });

  it('when the server refuses some points, those come back rejected with its reason and the valid ones beside them are written', async () => {
    // A 1 h retention policy refuses points older than an hour *by the server's clock*, so this
    // test places its readings by the real time; and a field first stored as an integer refuses
    // the float readings of the same name (a type conflict naming no line).
    const database = await server.database({ retention: '1h' });
    const client = server.client();
    const relay = new FaultyRelay(server.httpPort);
    await relay.start();
    try {
      const now = Date.now();
      const legacy = await client.write(
        database,
        `telemetry,deviceId=pump-9,site=plant-1 legacy=1i ${now - 60 * SEC}`,
      );
      expect(legacy).toEqual({ ok: true });
      const records = fleet(40, 4, now - 30 * 60 * SEC);
      const tooOld = [3, 17, 18, 31];
      for (const i of tooOld) records[i] = { ...records[i]!, time: now - 2 * 3600 * SEC - i * SEC };
      records[25] = reading('pump-9', now - 90 * SEC, { legacy: 2.5 });
      const store = new InfluxTelemetryStore({
        client: server.client({ url: relay.url }),
        database,
        batchSize: 16,
      });
      const result = await store.write(records);

      expect(result.rejected.map((r) => [r.index, r.kind])).toEqual([
        [3, 'out-of-retention'],
        [17, 'out-of-retention'],
        [18, 'out-of-retention'],
        [25, 'invalid'],
        [31, 'out-of-retention'],
      ]);
      expect(result.rejected[0]!.reason).toContain('points beyond retention policy');
      expect(result.rejected[3]!.reason).toContain('field type conflict');
      expect(result.written).toBe(35);
      // Counted by `seq`, which the hand-written legacy point lacks; read back, it has seq 0.
      expect(await storedCount(client, database)).toBe(35);
      const history = new InfluxQueryStore({ client, database, clock: () => now });
      expect(await history.recent('pump-9', now - 3600 * SEC, now)).toEqual([
        { deviceId: 'pump-9', site: 'plant-1', time: now - 60 * SEC, seq: 0, measures: { legacy: 1 } },
      ]);
      // Bisection stays bounded: 3 batches, 5 refused lines, within 2n − 1 requests per batch.
      expect(relay.count('/write')).toBeLessThanOrEqual(2 * 40 - 3);
    } finally {
      await relay.stop();
    }
  });

  it('when the server goes away in the middle of a batch, the write is retried and nothing is lost once it is back', async () => {
    const database = await server.database();
    const relay = new FaultyRelay(server.httpPort);
    await relay.start();
    const retries: string[] = [];
    let restarted = false;
    // The third write request is on its way when the server stops; the client's first backoff
    // brings it back.
    relay.beforeForward = async (path, n) => {
      if (path === '/write' && n === 3) await server.stop();
    };
    const client = server.client({
      url: relay.url,
      onRetry: ({ reason }) => retries.push(reason),
      sleep: async () => {
        if (!restarted) {
          restarted = true;
          await server.start();
        }
      },
    });
    try {
      const records = fleet(450);
      const result = await new InfluxTelemetryStore({ client, database, batchSize: 100 }).write(records);
      expect(result).toEqual({ written: 450, rejected: [] });
      expect(restarted).toBe(true);
      expect(retries.length).toBeGreaterThanOrEqual(1);
      expect(await storedCount(server.client(), database)).toBe(450);
    } finally {
      await relay.stop();
      await server.start();
    }
  });

  it('when the server keeps failing, the write backs off exponentially with jitter and then throws naming the server', async () => {
    const database = await server.database();
    const relay = new FaultyRelay(server.httpPort);
    await relay.start();
    const delays: number[] = [];
    try {
      // Every request of the conflict check fails: 503, then 429 asking for 2 s, then dropped.
      relay.inject({ kind: 'status', status: 503 }, 2);
      relay.inject({ kind: 'status', status: 429, retryAfter: '2' });
      relay.inject({ kind: 'drop' }, 2);
      const client = server.client({
        url: relay.url,
        maxAttempts: 5,
        baseDelayMs: 100,
        maxDelayMs: 5000,
        random: () => 0.5,
        sleep: async (ms) => {
          delays.push(ms);
        },
      });
      const write = new InfluxTelemetryStore({ client, database }).write(fleet(3));
      await expect(write).rejects.toThrow(InfluxUnavailableError);
      await expect(write).rejects.toThrow(`InfluxDB at ${relay.url} did not complete the query`);
      // Half of 100, 200, 400, 800 — except the 429's Retry-After, which wins.
      expect(delays).toEqual([50, 100, 2000, 400]);
      expect(relay.count('/write')).toBe(0);
    } finally {
      await relay.stop();
    }
  });

  it('when an answer does not come within the timeout, the request is sent again', async () => {
    const database = await server.database();
    const relay = new FaultyRelay(server.httpPort);
    await relay.start();
    try {
      relay.inject({ kind: 'stall' });
      const retries: string[] = [];
      const client = server.client({
        url: relay.url,
        timeoutMs: 300,
        onRetry: ({ reason }) => retries.push(reason),
        sleep: async () => {},
      });
      expect(await new InfluxTelemetryStore({ client, database }).write(fleet(5))).toEqual({
        written: 5,
        rejected: [],
      });
      expect(retries).toEqual(['no answer within 300 ms']);
    } finally {
      await relay.stop();
    }
  });

  it('when the database does not exist, the write fails with an error naming it', async () => {
    const store = new InfluxTelemetryStore({
      client: server.client(),
      database: 'nowhere',
      detectConflicts: false,
    });
    const write = store.write(fleet(2));
    await expect(write).rejects.toThrow(InfluxRequestError);
    await expect(write).rejects.toThrow('create database "nowhere"');
  });
});
