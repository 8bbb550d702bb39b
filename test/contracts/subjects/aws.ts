import type { QuarantineItem, TelemetryRecord } from '../../../core/ports';
import { composeQueryStore } from '../../../core/query/model';
import { DynamoDbDetectorStateStore } from '../../../lambda/shared/dynamodb-detector-state';
import { DynamoDbWorkOrderStore } from '../../../lambda/shared/dynamodb-work-orders';
import { S3ObjectStore } from '../../../lambda/shared/s3-objects';
import { S3Quarantine } from '../../../lambda/shared/s3-quarantine';
import { TimestreamEventStore } from '../../../lambda/shared/timestream-events';
import { TimestreamHistoryReader } from '../../../lambda/shared/timestream-history';
import { TimestreamPredictionStore } from '../../../lambda/shared/timestream-predictions';
import { TimestreamQueryStore } from '../../../lambda/shared/timestream-query';
import { TimestreamTelemetryStore } from '../../../lambda/shared/timestream-store';
import type { DetectorStateStoreSubject } from '../detector-state.contract';
import type { HistoryReaderSubject } from '../device-history.contract';
import type { EventStoreSubject } from '../event-store.contract';
import { createDetectorStateTable, createWorkOrderTable, startDynamo } from '../harness/dynamodb';
import { s3Backend } from '../harness/s3';
import { DAY, MIN, type SubjectEntry } from '../harness/subject';
import { STACK_TABLE_SETTINGS, timestreamBackend } from '../harness/timestream';
import type { ObjectStoreCapabilities, ObjectStoreSubject } from '../object-store.contract';
import type { QuarantineSubject } from '../quarantine.contract';
import type { QueryStoreCapabilities, QueryStoreSubject } from '../query-store.contract';
import type { TelemetryStoreCapabilities, TelemetryStoreSubject } from '../telemetry-store.contract';
import type { WorkOrderStoreSubject } from '../work-order-store.contract';

/**
 * The AWS adapters (lambda/shared), each with the real SDK client, its transport answered by a
 * model of the service (test/contracts/harness).
 */

const NOT_MEASURES = new Set(['deviceId', 'site', 'time', 'measure_name', 'seq']);

export const timestreamTelemetryStore: SubjectEntry<TelemetryStoreSubject, TelemetryStoreCapabilities> = {
  name: 'Timestream for LiveAnalytics (modelled WriteRecords)',
  capabilities: {
    // Magnetic-store writes are on in the stack, so the oldest accepted record is the magnetic
    // retention's age; records more than 15 minutes ahead are refused
    // (https://docs.aws.amazon.com/timestream/latest/developerguide/ts-limits.html,
    // https://docs.aws.amazon.com/timestream/latest/developerguide/data-ingest.html).
    maxAgeMs: STACK_TABLE_SETTINGS.magneticRetentionDays * DAY,
    maxLeadMs: 15 * MIN,
    // A record is identified by all its dimensions (device and site), time and measure name
    // (https://docs.aws.amazon.com/timestream/latest/developerguide/API_RejectedRecord.html).
    siteInIdentity: true,
    throttles: true,
  },
  async make(env) {
    const { model, write, database } = await timestreamBackend(env.clock);
    return {
      store: new TimestreamTelemetryStore({
        client: write,
        databaseName: database,
        tableName: 'telemetry',
        sleep: async () => {},
        random: () => 0.5,
      }),
      async readBack(deviceId) {
        return (await model.rows('telemetry'))
          .filter((r) => r.deviceId === deviceId)
          .sort((a, b) => Number(a.time) - Number(b.time) || String(a.site).localeCompare(String(b.site)))
          .map(
            (r): TelemetryRecord => ({
              deviceId,
              site: String(r.site),
              time: Number(r.time),
              seq: Number(r.seq),
              measures: Object.fromEntries(
                Object.entries(r).filter(([k, v]) => !NOT_MEASURES.has(k) && v !== null),
              ) as Record<string, number>,
            }),
          );
      },
      cutOff: () => {
        model.unreachable = true;
      },
      throttle: (calls) => {
        model.throttleWrites = calls;
      },
      dispose: () => model.close(),
    };
  },
};

export const dynamoDbWorkOrderStore: SubjectEntry<WorkOrderStoreSubject> = {
  name: 'DynamoDB (dynalite, table as the stack defines it)',
  capabilities: {},
  async make() {
    const dynamo = await startDynamo();
    await createWorkOrderTable(dynamo.client, 'work-orders');
    return {
      store: new DynamoDbWorkOrderStore(dynamo.documents, 'work-orders'),
      cutOff: () => dynamo.stop(),
      dispose: () => dynamo.stop(),
    };
  },
};

export const dynamoDbDetectorStateStore: SubjectEntry<DetectorStateStoreSubject> = {
  name: 'DynamoDB (dynalite, table as the stack defines it)',
  capabilities: {},
  async make() {
    const dynamo = await startDynamo();
    await createDetectorStateTable(dynamo.client, 'detector-states');
    return {
      store: new DynamoDbDetectorStateStore({
        client: dynamo.documents,
        tableName: 'detector-states',
        sleep: async () => {},
      }),
      cutOff: () => dynamo.stop(),
      dispose: () => dynamo.stop(),
    };
  },
};

/** The query API's backend in AWS: Timestream tables (modelled, queries run by DuckDB) and the work-order table (dynalite). */
export const timestreamQueryStore: SubjectEntry<QueryStoreSubject, QueryStoreCapabilities> = {
  name: 'Timestream for LiveAnalytics (SQL run by DuckDB) + DynamoDB (dynalite)',
  capabilities: {
    // Every query is bounded in time so Timestream scans only the partitions it needs
    // (https://docs.aws.amazon.com/timestream/latest/developerguide/queries-bp.html): the fleet
    // is the devices heard within the last 7 days (TimestreamQueryOptions.deviceLookbackMs).
    deviceLookbackMs: 7 * DAY,
  },
  async make(env) {
    const timestream = await timestreamBackend(env.clock);
    const dynamo = await startDynamo();
    await createWorkOrderTable(dynamo.client, 'work-orders');
    const workOrders = new DynamoDbWorkOrderStore(dynamo.documents, 'work-orders');
    const { write, database } = timestream;
    return {
      query: composeQueryStore(
        new TimestreamQueryStore({ client: timestream.query, databaseName: database, clock: env.clock }),
        workOrders,
      ),
      telemetry: new TimestreamTelemetryStore({
        client: write,
        databaseName: database,
        tableName: 'telemetry',
      }),
      events: new TimestreamEventStore(write, database, 'events'),
      predictions: new TimestreamPredictionStore(write, database, 'events'),
      workOrders,
      async dispose() {
        timestream.model.close();
        await dynamo.stop();
      },
    };
  },
};

export const timestreamEventStore: SubjectEntry<EventStoreSubject> = {
  name: 'Timestream for LiveAnalytics (modelled WriteRecords, read back by the query adapter)',
  capabilities: {},
  async make(env) {
    const { model, write, query, database } = await timestreamBackend(env.clock);
    const reader = new TimestreamQueryStore({ client: query, databaseName: database, clock: env.clock });
    const everything = { from: 1, to: env.now + DAY, limit: 1000 };
    return {
      events: new TimestreamEventStore(write, database, 'events'),
      predictions: new TimestreamPredictionStore(write, database, 'events'),
      storedAnomalies: async () => (await reader.anomalies(everything)).items,
      storedPredictions: async () => (await reader.predictions(everything)).items,
      cutOff: () => {
        model.unreachable = true;
      },
      dispose: () => model.close(),
    };
  },
};

export const timestreamHistoryReader: SubjectEntry<HistoryReaderSubject> = {
  name: 'Timestream for LiveAnalytics (SQL run by DuckDB)',
  capabilities: {},
  async make(env) {
    const { model, write, query, database } = await timestreamBackend(env.clock);
    return {
      history: new TimestreamHistoryReader(query, database, 'telemetry'),
      telemetry: new TimestreamTelemetryStore({
        client: write,
        databaseName: database,
        tableName: 'telemetry',
      }),
      dispose: () => model.close(),
    };
  },
};

export const s3Quarantine: SubjectEntry<QuarantineSubject> = {
  name: 'S3 (modelled PutObject, JSON Lines per source and day)',
  capabilities: {},
  async make(env) {
    const { model, client } = s3Backend(['aiot-quarantine']);
    return {
      quarantine: new S3Quarantine(client, 'aiot-quarantine', () => new Date(env.now)),
      async readBack(source) {
        return model
          .list('aiot-quarantine', `quarantine/${source}/`)
          .flatMap((o) => o.body.split('\n').filter(Boolean))
          .map((line) => JSON.parse(line) as QuarantineItem);
      },
      cutOff: () => {
        model.unreachable = true;
      },
      dispose: () => {},
    };
  },
};

export const s3ObjectStore: SubjectEntry<ObjectStoreSubject, ObjectStoreCapabilities> = {
  name: 'S3 (modelled PutObject/GetObject)',
  capabilities: { remote: true },
  async make() {
    const { model, client } = s3Backend(['aiot-models']);
    return {
      objects: new S3ObjectStore(client),
      bucket: 'aiot-models',
      cutOff: () => {
        model.unreachable = true;
      },
      dispose: () => {},
    };
  },
};
