import type { Database, Statement, Transaction } from 'better-sqlite3';
import type { RejectedRecord, TelemetryRecord, TelemetryStore, WriteResult } from '../../core/ports';
import { invalidRecordReason } from '../../core/telemetry';

/** Measures as JSON with sorted keys, so equal readings compare equal as text. */
export function canonicalMeasures(measures: Readonly<Record<string, number>>): string {
  const sorted: Record<string, number> = {};
  for (const k of Object.keys(measures).sort()) sorted[k] = measures[k]!;
  return JSON.stringify(sorted);
}

interface StoredReading {
  site: string;
  seq: number;
  measures: string;
}

/**
 * The TelemetryStore port on SQLite, with Timestream's semantics: a record is identified by
 * device and time; writing the identical record again is accepted (a replay), a different one
 * for the same device and time is rejected as a conflict, an invalid one as invalid — and the
 * rest of the batch is written. One transaction per call.
 */
export class SqliteTelemetryStore implements TelemetryStore {
  private readonly insertReading: Statement;
  private readonly findReading: Statement<[string, number], StoredReading>;
  private readonly upsertDevice: Statement;
  private readonly writeBatch: Transaction<(records: readonly TelemetryRecord[]) => WriteResult>;

  constructor(db: Database) {
    this.insertReading = db.prepare(
      'INSERT INTO readings (device_id, time, site, seq, measures) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.findReading = db.prepare(
      'SELECT site, seq, measures FROM readings WHERE device_id = ? AND time = ?',
    );
    // In an UPDATE every expression sees the row as it was, so the CASEs compare with the old last_time.
    this.upsertDevice = db.prepare(`
      INSERT INTO devices (device_id, site, first_time, last_time, last_seq, last_measures, readings)
      VALUES (@deviceId, @site, @first, @time, @seq, @measures, @count)
      ON CONFLICT (device_id) DO UPDATE SET
        readings = readings + excluded.readings,
        first_time = min(first_time, excluded.first_time),
        site = CASE WHEN excluded.last_time >= last_time THEN excluded.site ELSE site END,
        last_seq = CASE WHEN excluded.last_time >= last_time THEN excluded.last_seq ELSE last_seq END,
        last_measures = CASE WHEN excluded.last_time >= last_time THEN excluded.last_measures ELSE last_measures END,
        last_time = max(last_time, excluded.last_time)`);
    this.writeBatch = db.transaction((records: readonly TelemetryRecord[]) => this.writeAll(records));
  }

  async write(records: readonly TelemetryRecord[]): Promise<WriteResult> {
    // IMMEDIATE: the write lock is taken at the start, so a second writer on the file (another
    // pipeline thread) waits for it under the busy timeout instead of failing mid-transaction.
    return this.writeBatch.immediate(records);
  }

  private writeAll(records: readonly TelemetryRecord[]): WriteResult {
    let written = 0;
    const rejected: RejectedRecord[] = [];
    // The newest new record of each device in this batch: one device update per batch, not per record.
    const newest = new Map<
      string,
      {
        deviceId: string;
        site: string;
        time: number;
        seq: number;
        measures: string;
        count: number;
        first: number;
      }
    >();
    for (let index = 0; index < records.length; index++) {
      const r = records[index]!;
      const invalid = invalidRecordReason(r);
      if (invalid) {
        rejected.push({ index, kind: 'invalid', reason: invalid });
        continue;
      }
      const measures = canonicalMeasures(r.measures);
      if (this.insertReading.run(r.deviceId, r.time, r.site, r.seq, measures).changes === 0) {
        const stored = this.findReading.get(r.deviceId, r.time)!;
        if (stored.site === r.site && stored.seq === r.seq && stored.measures === measures) {
          written++;
        } else {
          rejected.push({
            index,
            kind: 'conflict',
            reason: `a different record for ${r.deviceId} at ${new Date(r.time).toISOString()} is already stored (seq ${stored.seq})`,
          });
        }
        continue;
      }
      const seen = newest.get(r.deviceId);
      if (!seen) {
        newest.set(r.deviceId, {
          deviceId: r.deviceId,
          site: r.site,
          time: r.time,
          seq: r.seq,
          measures,
          count: 1,
          first: r.time,
        });
      } else {
        seen.count++;
        seen.first = Math.min(seen.first, r.time);
        if (r.time >= seen.time) Object.assign(seen, { site: r.site, time: r.time, seq: r.seq, measures });
      }
      written++;
    }
    for (const d of newest.values()) this.upsertDevice.run(d);
    return { written, rejected };
  }
}
