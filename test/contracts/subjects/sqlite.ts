import type { TelemetryRecord } from '../../../core/ports';
import { composeQueryStore } from '../../../core/query/model';
import { openLocalStore, SqliteHistoryReader } from '../../../local/store';
import { MemoryObjectStore } from '../../../local/workflows/local-sagemaker';
import { SqliteWorkOrderStore } from '../../../local/workflows/sqlite-work-orders';
import type { DetectorStateStoreSubject } from '../detector-state.contract';
import type { HistoryReaderSubject } from '../device-history.contract';
import type { EventStoreSubject } from '../event-store.contract';
import type { ContractEnv, SubjectEntry } from '../harness/subject';
import type { ObjectStoreCapabilities, ObjectStoreSubject } from '../object-store.contract';
import type { QuarantineSubject } from '../quarantine.contract';
import type { QueryStoreCapabilities, QueryStoreSubject } from '../query-store.contract';
import type { TelemetryStoreCapabilities, TelemetryStoreSubject } from '../telemetry-store.contract';
import type { WorkOrderStoreSubject } from '../work-order-store.contract';

/** The local runtime's adapters, each on a fresh in-memory SQLite store. */

/** A fresh store; `close` may run twice (cut off, then disposed of). */
function freshStore(env?: ContractEnv) {
  const local = openLocalStore(':memory:', env ? { clock: env.clock } : {});
  const close = () => {
    if (local.db.open) local.close();
  };
  return { local, close };
}

export const sqliteTelemetryStore: SubjectEntry<TelemetryStoreSubject, TelemetryStoreCapabilities> = {
  name: 'SQLite (local store)',
  // The local store keeps whatever it is given, for as long as the file lives; a record is
  // identified by device and time (its primary key).
  capabilities: { siteInIdentity: false },
  async make() {
    const { local, close } = freshStore();
    const rows = local.db.prepare<
      [string],
      { device_id: string; site: string; time: number; seq: number; measures: string }
    >('SELECT device_id, site, time, seq, measures FROM readings WHERE device_id = ? ORDER BY time, site');
    return {
      store: local.telemetry,
      async readBack(deviceId) {
        return rows.all(deviceId).map(
          (r): TelemetryRecord => ({
            deviceId: r.device_id,
            site: r.site,
            time: r.time,
            seq: r.seq,
            measures: JSON.parse(r.measures),
          }),
        );
      },
      cutOff: close,
      dispose: close,
    };
  },
};

export const sqliteDetectorStateStore: SubjectEntry<DetectorStateStoreSubject> = {
  name: 'SQLite (local store)',
  capabilities: {},
  async make() {
    const { local, close } = freshStore();
    return { store: local.detectorStates, cutOff: close, dispose: close };
  },
};

export const sqliteWorkOrderStore: SubjectEntry<WorkOrderStoreSubject> = {
  name: 'SQLite (local workflows)',
  capabilities: {},
  async make() {
    const { local, close } = freshStore();
    return {
      store: new SqliteWorkOrderStore(local.db),
      cutOff: close,
      dispose: close,
    };
  },
};

export const sqliteQueryStore: SubjectEntry<QueryStoreSubject, QueryStoreCapabilities> = {
  name: 'SQLite (local store and work orders)',
  // The devices table keeps every device ever seen: the local fleet is small.
  capabilities: {},
  async make(env) {
    const { local, close } = freshStore(env);
    const workOrders = new SqliteWorkOrderStore(local.db);
    return {
      query: composeQueryStore(local.query, workOrders),
      telemetry: local.telemetry,
      events: local.events,
      predictions: local.events,
      workOrders,
      dispose: close,
    };
  },
};

export const sqliteEventStore: SubjectEntry<EventStoreSubject> = {
  name: 'SQLite (local store)',
  capabilities: {},
  async make(env) {
    const { local, close } = freshStore(env);
    const everything = { from: 0, to: Number.MAX_SAFE_INTEGER, limit: 1000 };
    return {
      events: local.events,
      predictions: local.events,
      storedAnomalies: async () => (await local.query.anomalies(everything)).items,
      storedPredictions: async () => (await local.query.predictions(everything)).items,
      cutOff: close,
      dispose: close,
    };
  },
};

export const sqliteHistoryReader: SubjectEntry<HistoryReaderSubject> = {
  name: 'SQLite (local store)',
  capabilities: {},
  async make() {
    const { local, close } = freshStore();
    return {
      history: new SqliteHistoryReader(local.db),
      telemetry: local.telemetry,
      dispose: close,
    };
  },
};

export const sqliteQuarantine: SubjectEntry<QuarantineSubject> = {
  name: 'SQLite (local store)',
  capabilities: {},
  async make() {
    const { local, close } = freshStore();
    return {
      quarantine: local.quarantine,
      readBack: async (source) =>
        local.quarantine.list({ source, limit: 1000 }).items.map(({ id: _, ...item }) => item),
      cutOff: close,
      dispose: close,
    };
  },
};

export const memoryObjectStore: SubjectEntry<ObjectStoreSubject, ObjectStoreCapabilities> = {
  name: 'memory (local workflows)',
  capabilities: { remote: false },
  async make() {
    return { objects: new MemoryObjectStore(), bucket: 'aiot-local-models', dispose: () => {} };
  },
};
