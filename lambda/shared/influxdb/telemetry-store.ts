import type { RejectedRecord, TelemetryRecord, TelemetryStore, WriteResult } from '../../../core/ports';
import { invalidRecordReason } from '../../../core/telemetry';
import { emptyWhenNotFound, type InfluxClient } from './client';
import { influxql } from './influxql';
import { encodePoint, LineProtocolError } from './line-protocol';
import { DEFAULT_BATCH_SIZE, PointWriter } from './point-writer';
import { MEASUREMENTS, RESERVED_MEASURE_NAMES, rowToRecord, telemetryPoint } from './schema';

export interface InfluxTelemetryStoreOptions {
  readonly client: InfluxClient;
  /** The database (InfluxDB 1.x and 3) or the bucket's mapped database name (InfluxDB 2). */
  readonly database: string;
  /** Lines per write request. @default 5000 */
  readonly batchSize?: number;
  /**
   * Look up what is stored at the batch's devices and times before writing, so a different
   * reading for a stored device and time is rejected as a conflict (TelemetryStore semantics)
   * instead of silently merged into it (InfluxDB's own). Off: last write wins. @default true
   */
  readonly detectConflicts?: boolean;
}

function sameReading(a: TelemetryRecord, b: TelemetryRecord): boolean {
  if (a.site !== b.site || a.seq !== b.seq) return false;
  const keys = Object.keys(a.measures);
  return keys.length === Object.keys(b.measures).length && keys.every((k) => b.measures[k] === a.measures[k]);
}

function storeRefusal(r: TelemetryRecord): string | undefined {
  const invalid = invalidRecordReason(r);
  if (invalid) return invalid;
  const reserved = Object.keys(r.measures).find((m) => RESERVED_MEASURE_NAMES.has(m));
  return reserved ? `measure name "${reserved}" is reserved by the store (seq, site, time)` : undefined;
}

/**
 * The TelemetryStore port on InfluxDB (Timestream for InfluxDB, or any InfluxDB with the v1 API).
 *
 * InfluxDB identifies a point by measurement, tag set and time, and a second write of the same
 * point replaces the fields it names and keeps the others — last write wins, fields merged
 * (https://docs.influxdata.com/influxdb/v2/write-data/best-practices/duplicate-points/).
 * Timestream and the local store instead keep the first record and refuse a different one for
 * the same device and time. To keep that contract (nothing silently replaced, no record that
 * was never sent made of two), the store first reads what is stored for each device over the
 * batch's time span — one query per device and batch, and for fresh data an empty answer — and
 * then: an identical reading counts as written (a replay), a different one is rejected as a
 * conflict with the stored seq, and only new readings are sent. The check and the write are two
 * requests; they are safe because one writer handles a device at a time (the Kinesis partition
 * key is the device id and Lambda reads a shard one batch at a time by default).
 *
 * Records InfluxDB refuses (outside the retention policy, a field type conflict, …) come back
 * rejected with the server's reason while the rest are written ({@link PointWriter}).
 */
export class InfluxTelemetryStore implements TelemetryStore {
  private readonly writer: PointWriter;
  private readonly detectConflicts: boolean;
  private readonly checkSpan: number;

  constructor(private readonly opts: InfluxTelemetryStoreOptions) {
    this.writer = new PointWriter(opts.client, opts.database, opts.batchSize ?? DEFAULT_BATCH_SIZE);
    this.detectConflicts = opts.detectConflicts ?? true;
    this.checkSpan = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  }

  async write(records: readonly TelemetryRecord[]): Promise<WriteResult> {
    const rejected: RejectedRecord[] = [];
    let duplicates = 0;
    const valid: number[] = [];
    records.forEach((r, index) => {
      const reason = storeRefusal(r);
      if (reason) rejected.push({ index, kind: 'invalid', reason });
      else valid.push(index);
    });

    const stored = this.detectConflicts ? await this.storedAt(valid.map((i) => records[i]!)) : new Map();
    const toSend: number[] = [];
    const lines: string[] = [];
    for (const index of valid) {
      const r = records[index]!;
      const key = `${r.deviceId}\u0000${r.time}`;
      const existing = stored.get(key);
      if (existing) {
        if (sameReading(existing, r)) duplicates++;
        else
          rejected.push({
            index,
            kind: 'conflict',
            reason: `a different record for ${r.deviceId} at ${new Date(r.time).toISOString()} is already stored (seq ${existing.seq})`,
          });
        continue;
      }
      try {
        lines.push(encodePoint(telemetryPoint(r)));
      } catch (e) {
        if (!(e instanceof LineProtocolError)) throw e;
        rejected.push({ index, kind: 'invalid', reason: e.message });
        continue;
      }
      toSend.push(index);
      // A later record of this batch for the same device and time meets this one as stored.
      if (this.detectConflicts) stored.set(key, r);
    }

    const refused = await this.writer.write(lines);
    for (const line of refused) rejected.push({ ...line, index: toSend[line.index]! });
    rejected.sort((a, b) => a.index - b.index);
    return { written: duplicates + toSend.length - refused.length, rejected };
  }

  /** What is stored for the records' devices over their time span, keyed by device and time. */
  private async storedAt(records: readonly TelemetryRecord[]): Promise<Map<string, TelemetryRecord>> {
    const stored = new Map<string, TelemetryRecord>();
    const byDevice = new Map<string, number[]>();
    for (const r of records) {
      const times = byDevice.get(r.deviceId) ?? [];
      times.push(r.time);
      byDevice.set(r.deviceId, times);
    }
    for (const [deviceId, times] of byDevice) {
      times.sort((a, b) => a - b);
      // A long replay is checked in spans of one batch each, so no single answer grows unbounded.
      for (let i = 0; i < times.length; i += this.checkSpan) {
        const span = times.slice(i, i + this.checkSpan);
        const [result] = await this.opts.client
          .query(
            this.opts.database,
            `SELECT * FROM ${influxql.ident(MEASUREMENTS.telemetry)} WHERE "deviceId" = ${influxql.deviceId(deviceId)} ` +
              `AND time >= ${influxql.time(span[0]!)} AND time <= ${influxql.time(span[span.length - 1]!)}`,
          )
          .catch(emptyWhenNotFound);
        for (const row of result?.rows ?? []) {
          const r = rowToRecord(row);
          const key = `${r.deviceId}\u0000${r.time}`;
          if (!stored.has(key)) stored.set(key, r);
        }
      }
    }
    return stored;
  }
}
