import { composeQueryStore } from '../../../core/query/model';
import { DynamoDbWorkOrderStore } from '../../../lambda/shared/dynamodb-work-orders';
import {
  InfluxClient,
  InfluxEventStore,
  InfluxQueryStore,
  InfluxTelemetryStore,
} from '../../../lambda/shared/influxdb';
import { FaultyRelay } from '../../integration/influxdb/relay';
import { InfluxServer } from '../../integration/influxdb/server';
import type { HistoryReaderSubject } from '../device-history.contract';
import type { EventStoreSubject } from '../event-store.contract';
import { createWorkOrderTable, startDynamo } from '../harness/dynamodb';
import { type ContractEnv, DAY, type SubjectEntry } from '../harness/subject';
import type { QueryStoreCapabilities, QueryStoreSubject } from '../query-store.contract';
import type { TelemetryStoreCapabilities, TelemetryStoreSubject } from '../telemetry-store.contract';

/**
 * The InfluxDB adapters (lambda/shared/influxdb) against a real InfluxDB 1.x (`influxd`), one
 * server per suite and a fresh database per test, reached through a relay that a test can cut.
 */

let server: Promise<InfluxServer> | undefined;

/** Starts the suite's server on first use and stops it after the suite. */
function prepare(): void {
  afterAll(async () => {
    const started = server;
    server = undefined;
    await (await started)?.dispose();
  });
}

async function influxDatabase(env: ContractEnv) {
  server ??= InfluxServer.create();
  const influx = await server;
  const database = await influx.database();
  const relay = new FaultyRelay(influx.httpPort);
  await relay.start();
  let cut = false;
  const cutOff = async () => {
    if (cut) return;
    cut = true;
    await relay.stop();
  };
  // Two attempts without waiting: an unreachable server fails the call at once.
  const client = new InfluxClient({ url: relay.url, maxAttempts: 2, sleep: async () => {} });
  const query = new InfluxQueryStore({ client, database, clock: env.clock });
  return { client, database, query, cutOff, dispose: cutOff };
}

export const influxTelemetryStore: SubjectEntry<TelemetryStoreSubject, TelemetryStoreCapabilities> = {
  name: 'InfluxDB 1.x (influxd)',
  // A database without a retention policy keeps every point; the site is a tag, so part of the
  // series key, but the adapter looks up a device's stored times before it writes
  // (docs/storage.md), so another site at the same device and time is a conflict.
  capabilities: { siteInIdentity: false },
  prepare,
  async make(env) {
    const db = await influxDatabase(env);
    return {
      store: new InfluxTelemetryStore({ client: db.client, database: db.database }),
      readBack: async (deviceId) => [...(await db.query.recent(deviceId, 1, env.now + 400 * DAY))],
      cutOff: () => void db.cutOff(),
      dispose: db.dispose,
    };
  },
};

export const influxEventStore: SubjectEntry<EventStoreSubject> = {
  name: 'InfluxDB 1.x (influxd, read back by the query adapter)',
  capabilities: {},
  prepare,
  async make(env) {
    const db = await influxDatabase(env);
    const events = new InfluxEventStore({ client: db.client, database: db.database });
    const everything = { from: 1, to: env.now + DAY, limit: 1000 };
    return {
      events,
      predictions: events,
      storedAnomalies: async () => (await db.query.anomalies(everything)).items,
      storedPredictions: async () => (await db.query.predictions(everything)).items,
      cutOff: () => void db.cutOff(),
      dispose: db.dispose,
    };
  },
};

export const influxHistoryReader: SubjectEntry<HistoryReaderSubject> = {
  name: 'InfluxDB 1.x (influxd)',
  capabilities: {},
  prepare,
  async make(env) {
    const db = await influxDatabase(env);
    return {
      history: db.query,
      telemetry: new InfluxTelemetryStore({ client: db.client, database: db.database }),
      dispose: db.dispose,
    };
  },
};

export const influxQueryStore: SubjectEntry<QueryStoreSubject, QueryStoreCapabilities> = {
  name: 'InfluxDB 1.x (influxd) + DynamoDB (dynalite)',
  // Bounded in time like the Timestream adapter (InfluxQueryOptions.deviceLookbackMs).
  capabilities: { deviceLookbackMs: 7 * DAY },
  prepare,
  async make(env) {
    const db = await influxDatabase(env);
    const dynamo = await startDynamo();
    await createWorkOrderTable(dynamo.client, 'work-orders');
    const workOrders = new DynamoDbWorkOrderStore(dynamo.documents, 'work-orders');
    const events = new InfluxEventStore({ client: db.client, database: db.database });
    return {
      query: composeQueryStore(db.query, workOrders),
      telemetry: new InfluxTelemetryStore({ client: db.client, database: db.database }),
      events,
      predictions: events,
      workOrders,
      async dispose() {
        await db.dispose();
        await dynamo.stop();
      },
    };
  },
};
