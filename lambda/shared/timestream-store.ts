import {
  type _Record,
  RejectedRecordsException,
  ThrottlingException,
  type TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import type {
  RejectedRecord,
  RejectionKind,
  TelemetryRecord,
  TelemetryStore,
  WriteResult,
} from '../../core/ports';
import { invalidRecordReason } from '../../core/telemetry';

/** Timestream's own limit on records per WriteRecords call. */
export const MAX_RECORDS_PER_WRITE = 100;
export const MULTI_MEASURE_NAME = 'reading';

export interface TimestreamStoreOptions {
  readonly client: TimestreamWriteClient;
  readonly databaseName: string;
  readonly tableName: string;
  /** Attempts per chunk while Timestream throttles. @default 5 */
  readonly maxAttempts?: number;
  /** First backoff delay; doubles each attempt, with full jitter. @default 100 */
  readonly baseDelayMs?: number;
  /** Injected for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** A device reading as one multi-measure Timestream record; `seq` rides along as BIGINT. */
export function toTimestreamRecord(r: TelemetryRecord): _Record {
  return {
    Dimensions: [
      { Name: 'deviceId', Value: r.deviceId },
      { Name: 'site', Value: r.site },
    ],
    MeasureName: MULTI_MEASURE_NAME,
    MeasureValueType: 'MULTI',
    MeasureValues: [
      ...Object.entries(r.measures).map(([Name, v]) => ({ Name, Value: String(v), Type: 'DOUBLE' as const })),
      { Name: 'seq', Value: String(r.seq), Type: 'BIGINT' as const },
    ],
    Time: String(r.time),
    TimeUnit: 'MILLISECONDS',
  };
}

/** Splits into chunks of at most `size` (the write batches sent to Timestream). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function classify(reason: string, existingVersion: number | undefined): RejectionKind {
  // Timestream sets ExistingVersion only when the stored version is higher than the one sent;
  // with equal versions (ours are always the default, 1) the reason alone says "already exists".
  if (existingVersion !== undefined || /already exists|existing version/i.test(reason)) return 'conflict';
  if (/retention|older than|newer than|out of range|timestamp/i.test(reason)) return 'out-of-retention';
  return 'invalid';
}

/**
 * The TelemetryStore port on Timestream for LiveAnalytics. An invalid record is refused before
 * the call (the port's rule, as every adapter applies it); an identical duplicate is accepted
 * by Timestream itself (idempotent write); a record it refuses (outside retention, invalid, or
 * conflicting with a stored version) comes back as rejected while the rest of the chunk is
 * written; throttling is retried with exponential backoff and then thrown.
 */
export class TimestreamTelemetryStore implements TelemetryStore {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly opts: TimestreamStoreOptions) {
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.baseDelayMs = opts.baseDelayMs ?? 100;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = opts.random ?? Math.random;
  }

  async write(records: readonly TelemetryRecord[]): Promise<WriteResult> {
    let written = 0;
    const rejected: RejectedRecord[] = [];
    // Invalid records never reach Timestream (it would store a malformed device id, or refuse the
    // whole call over a NaN); each keeps its index in the caller's batch.
    const valid: number[] = [];
    records.forEach((r, index) => {
      const reason = invalidRecordReason(r);
      if (reason) rejected.push({ index, kind: 'invalid', reason });
      else valid.push(index);
    });
    for (const part of chunk(valid, MAX_RECORDS_PER_WRITE)) {
      const refused = await this.writeChunk(part.map((i) => toTimestreamRecord(records[i]!)));
      for (const r of refused) rejected.push({ ...r, index: part[r.index]! });
      written += part.length - refused.length;
    }
    rejected.sort((a, b) => a.index - b.index);
    return { written, rejected };
  }

  private async writeChunk(Records: _Record[]): Promise<RejectedRecord[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.opts.client.send(
          new WriteRecordsCommand({
            DatabaseName: this.opts.databaseName,
            TableName: this.opts.tableName,
            Records,
          }),
        );
        return [];
      } catch (e) {
        if (e instanceof RejectedRecordsException) {
          return (e.RejectedRecords ?? []).map((r) => {
            const reason = r.Reason ?? 'rejected without a reason';
            return { index: r.RecordIndex ?? 0, reason, kind: classify(reason, r.ExistingVersion) };
          });
        }
        if (e instanceof ThrottlingException && attempt < this.maxAttempts) {
          await this.sleep(this.random() * this.baseDelayMs * 2 ** (attempt - 1));
          continue;
        }
        throw e;
      }
    }
  }
}
