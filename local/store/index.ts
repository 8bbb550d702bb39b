import * as fs from 'node:fs';
import * as path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import type { HealthPolicy } from '../../core/query/model';
import { SqliteDetectorStateStore } from './detector-state';
import { SqliteEventStore } from './events';
import { SqliteQuarantine } from './quarantine';
import { SqliteQueryStore } from './query';
import { migrate } from './schema';
import { SqliteTelemetryStore } from './telemetry';

export { SqliteDetectorStateStore } from './detector-state';
export { SqliteEventStore } from './events';
export { SqliteHistoryReader } from './history';
export { SqliteQuarantine, type StoredQuarantineItem } from './quarantine';
export { SqliteQueryStore } from './query';
export { SqliteTelemetryStore } from './telemetry';

export interface LocalStoreOptions {
  /** Epoch ms now (health is judged against it). @default Date.now */
  readonly clock?: () => number;
  readonly health?: HealthPolicy;
}

/** The adapters of the local store, all on one SQLite file. */
export interface LocalStore {
  /** The raw handle: other local adapters (work orders) keep their own tables in the same file. */
  readonly db: Database;
  readonly telemetry: SqliteTelemetryStore;
  readonly quarantine: SqliteQuarantine;
  readonly events: SqliteEventStore;
  /** The stream path's per-device detector state, kept across restarts. */
  readonly detectorStates: SqliteDetectorStateStore;
  /** The time-series read port; compose it with a work-order store for the full QueryStore. */
  readonly query: SqliteQueryStore;
  close(): void;
}

/**
 * Opens (or creates) the local time-series store: a SQLite file in WAL mode — readers (the API,
 * the dashboard) never block the writer (the stream processor) — or `':memory:'` for tests.
 */
export function openLocalStore(file: string, opts: LocalStoreOptions = {}): LocalStore {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new BetterSqlite3(file);
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a power cut may lose the last transactions but never corrupts the file.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    // Device series interleave, so a batch touches a page per device: a larger page cache keeps
    // them in memory (64 MB, taken only as the file grows), and checkpointing every 16 MB of WAL
    // rather than 4 MB copies each hot page back less often.
    db.pragma('cache_size = -65536');
    db.pragma('wal_autocheckpoint = 4000');
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (e) {
    db.close();
    throw e;
  }
  return {
    db,
    telemetry: new SqliteTelemetryStore(db),
    quarantine: new SqliteQuarantine(db),
    events: new SqliteEventStore(db),
    detectorStates: new SqliteDetectorStateStore(db),
    query: new SqliteQueryStore(db, opts),
    close: () => db.close(),
  };
}
