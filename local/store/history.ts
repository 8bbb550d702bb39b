import type { Database, Statement } from 'better-sqlite3';
import { type HistoryReader, MAX_RECENT_READINGS, type TelemetryRecord } from '../../core/ports';

interface ReadingRow {
  device_id: string;
  site: string;
  time: number;
  seq: number;
  measures: string;
}

const toRecord = (r: ReadingRow): TelemetryRecord => ({
  deviceId: r.device_id,
  site: r.site,
  time: r.time,
  seq: r.seq,
  measures: JSON.parse(r.measures),
});

/** The HistoryReader port on the local store, and the readings of every device for retraining. */
export class SqliteHistoryReader implements HistoryReader {
  private readonly newestOfDevice: Statement<[string, number, number, number], ReadingRow>;
  private readonly oldestOfAll: Statement<[number, number, number], ReadingRow>;

  constructor(db: Database) {
    this.newestOfDevice = db.prepare(
      'SELECT * FROM readings WHERE device_id = ? AND time >= ? AND time < ? ORDER BY time DESC LIMIT ?',
    );
    this.oldestOfAll = db.prepare(
      'SELECT * FROM readings WHERE time >= ? AND time < ? ORDER BY time LIMIT ?',
    );
  }

  async recent(deviceId: string, sinceMs: number, untilMs: number): Promise<TelemetryRecord[]> {
    return this.newestOfDevice.all(deviceId, sinceMs, untilMs, MAX_RECENT_READINGS).map(toRecord).reverse();
  }

  /** Every device's readings in [since, until), oldest first, at most `maxRows`. */
  async range(sinceMs: number, untilMs: number, maxRows: number): Promise<TelemetryRecord[]> {
    return this.oldestOfAll.all(sinceMs, untilMs, maxRows).map(toRecord);
  }
}
