import type { Database, Statement } from 'better-sqlite3';
import {
  type DetectorStateJson,
  type DetectorStateStore,
  encodeDetectorState,
  lastPerDevice,
  type PutDetectorStatesResult,
  type RefusedDetectorState,
  type SavedDetectorState,
} from '../../core/ports';

interface Row {
  readonly device_id: string;
  readonly saved_at: number;
  readonly state: string;
}

/** Devices read in one statement: well below SQLite's limit on bound parameters (32,766). */
const READ_CHUNK = 500;

/**
 * The DetectorStateStore port on SQLite (the local store's file, table `detector_states`): one
 * row per device, its state as JSON text. A call's writes are one transaction.
 */
export class SqliteDetectorStateStore implements DetectorStateStore {
  private readonly upsert: Statement;
  private readonly writeAll: (rows: readonly { deviceId: string; savedAt: number; json: string }[]) => void;

  constructor(private readonly db: Database) {
    this.upsert = db.prepare(
      `INSERT INTO detector_states (device_id, saved_at, state) VALUES (@deviceId, @savedAt, @json)
       ON CONFLICT(device_id) DO UPDATE SET saved_at = excluded.saved_at, state = excluded.state`,
    );
    this.writeAll = db.transaction((rows) => {
      for (const r of rows) this.upsert.run(r);
    });
  }

  async getMany(deviceIds: readonly string[]): Promise<Map<string, SavedDetectorState>> {
    const out = new Map<string, SavedDetectorState>();
    const unique = [...new Set(deviceIds)];
    for (let i = 0; i < unique.length; i += READ_CHUNK) {
      const chunk = unique.slice(i, i + READ_CHUNK);
      const rows = this.db
        .prepare<string[], Row>(
          `SELECT device_id, saved_at, state FROM detector_states WHERE device_id IN (${chunk.map(() => '?').join(',')})`,
        )
        .all(...chunk);
      for (const r of rows) {
        out.set(r.device_id, {
          deviceId: r.device_id,
          savedAt: r.saved_at,
          state: JSON.parse(r.state) as DetectorStateJson,
        });
      }
    }
    return out;
  }

  async putMany(states: readonly SavedDetectorState[]): Promise<PutDetectorStatesResult> {
    const refused: RefusedDetectorState[] = [];
    const rows: { deviceId: string; savedAt: number; json: string }[] = [];
    for (const s of lastPerDevice(states)) {
      const encoded = encodeDetectorState(s);
      if (encoded.ok) rows.push({ deviceId: s.deviceId, savedAt: s.savedAt, json: encoded.json });
      else refused.push(encoded.refusal);
    }
    this.writeAll(rows);
    return { saved: rows.length, refused };
  }
}
