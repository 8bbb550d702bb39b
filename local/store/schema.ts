import type { Database } from 'better-sqlite3';

/** Version of the tables below; a file written by another version is refused rather than misread. */
export const STORE_SCHEMA_VERSION = 1;

/**
 * The tables of the local time-series store. `readings` holds one row per device and instant,
 * its measures as JSON (the identity and shape of a Timestream multi-measure record; keyed by
 * device then time, so a device's range is one index scan and a batch dirties one page per
 * device rather than one per measure); `devices` keeps each device's newest reading so fleet
 * lists never scan history; `detector_states` keeps each device's scoring state across restarts
 * (a file from before it gets the table from the same idempotent statements).
 */
const DDL = `
CREATE TABLE IF NOT EXISTS readings (
  device_id TEXT NOT NULL,
  time INTEGER NOT NULL,
  site TEXT NOT NULL,
  seq INTEGER NOT NULL,
  measures TEXT NOT NULL,
  PRIMARY KEY (device_id, time)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS devices (
  device_id TEXT PRIMARY KEY,
  site TEXT NOT NULL,
  first_time INTEGER NOT NULL,
  last_time INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  last_measures TEXT NOT NULL,
  readings INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS quarantine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  reason TEXT NOT NULL,
  payload TEXT NOT NULL,
  encoding TEXT NOT NULL CHECK (encoding IN ('utf8', 'base64')),
  received_at INTEGER NOT NULL,
  device_id TEXT,
  topic TEXT
);
CREATE INDEX IF NOT EXISTS quarantine_by_source ON quarantine (source, id);

CREATE TABLE IF NOT EXISTS anomalies (
  device_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  source TEXT NOT NULL,
  site TEXT NOT NULL,
  score REAL NOT NULL,
  severity TEXT NOT NULL,
  measures TEXT NOT NULL,
  PRIMARY KEY (device_id, ts, source)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS anomalies_by_time ON anomalies (ts, device_id, source);

CREATE TABLE IF NOT EXISTS predictions (
  device_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  source TEXT NOT NULL,
  site TEXT NOT NULL,
  probability REAL NOT NULL,
  horizon_ms INTEGER NOT NULL,
  PRIMARY KEY (device_id, ts, source)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS predictions_by_time ON predictions (ts, device_id, source);

CREATE TABLE IF NOT EXISTS detector_states (
  device_id TEXT PRIMARY KEY,
  saved_at INTEGER NOT NULL,
  state TEXT NOT NULL
) WITHOUT ROWID;
`;

/** Creates the tables (idempotent) and checks the file's schema version. */
export function migrate(db: Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version !== 0 && version !== STORE_SCHEMA_VERSION) {
    throw new Error(
      `the store file has schema version ${version}; this aiot reads version ${STORE_SCHEMA_VERSION} (use a new data folder)`,
    );
  }
  db.exec(DDL);
  db.pragma(`user_version = ${STORE_SCHEMA_VERSION}`);
}
