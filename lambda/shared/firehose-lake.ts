import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import {
  anomalyRows,
  type LakeRow,
  predictionRows,
  readingRows,
  workOrderRows,
} from '../../core/lake/schema';
import type { EventStore, PredictionStore, TelemetryStore, WriteResult } from '../../core/ports';
import type { WorkOrder } from '../../core/workorders';

/**
 * PutRecordBatch limits: 500 records and 4 MiB a call, 1,000 KiB a record before base64
 * (https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html).
 */
export const PUT_RECORD_BATCH_LIMITS = {
  records: 500,
  bytes: 4 * 1024 * 1024,
  recordBytes: 1000 * 1024,
} as const;

export class LakeDeliveryError extends Error {
  override readonly name = 'LakeDeliveryError';
}

export interface FirehoseLakeOptions {
  readonly client: FirehoseClient;
  readonly streamName: string;
  /** Attempts for the records Firehose refuses in a call (`FailedPutCount`). @default 5 */
  readonly maxAttempts?: number;
  /** Backoff before a retry. @default 100 ms doubling, full jitter */
  readonly backoffMs?: (attempt: number) => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultBackoff = (attempt: number) => Math.random() * 100 * 2 ** attempt;
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends lake rows to a Firehose delivery stream as newline-delimited JSON (Firehose converts them
 * to Parquet against the Glue table). A call's refused records (`RequestResponses[i].ErrorCode`)
 * are sent again with backoff — never dropped; if some are still refused after the last attempt
 * it throws, so the caller's record is retried whole (Firehose delivers at least once).
 */
export class FirehoseLake {
  private readonly encoder = new TextEncoder();

  constructor(private readonly o: FirehoseLakeOptions) {}

  async put(rows: readonly LakeRow[]): Promise<void> {
    const records = rows.map((r) => {
      const data = this.encoder.encode(`${JSON.stringify(r)}\n`);
      if (data.byteLength > PUT_RECORD_BATCH_LIMITS.recordBytes) {
        throw new LakeDeliveryError(
          `a lake row of ${data.byteLength} bytes exceeds Firehose's ${PUT_RECORD_BATCH_LIMITS.recordBytes}-byte record limit`,
        );
      }
      return data;
    });
    for (const batch of batches(records)) await this.send(batch);
  }

  private async send(batch: Uint8Array[]): Promise<void> {
    const maxAttempts = this.o.maxAttempts ?? 5;
    let pending = batch;
    for (let attempt = 1; ; attempt++) {
      const res = await this.o.client.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: this.o.streamName,
          Records: pending.map((Data) => ({ Data })),
        }),
      );
      if (!res.FailedPutCount) return;
      const responses = res.RequestResponses ?? [];
      const failed = pending.filter((_, i) => responses[i]?.ErrorCode);
      const reasons = [
        ...new Set(
          responses.filter((r) => r.ErrorCode).map((r) => `${r.ErrorCode}: ${r.ErrorMessage ?? ''}`),
        ),
      ];
      // A response list that does not say which failed: send them all again.
      pending = failed.length > 0 ? failed : pending;
      if (attempt >= maxAttempts) {
        throw new LakeDeliveryError(
          `${pending.length} of ${batch.length} lake records still refused after ${attempt} attempts (${reasons.join('; ')})`,
        );
      }
      await (this.o.sleep ?? realSleep)((this.o.backoffMs ?? defaultBackoff)(attempt));
    }
  }
}

/** Splits encoded records into calls within PutRecordBatch's count and size limits. */
export function batches(records: readonly Uint8Array[]): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let bytes = 0;
  for (const r of records) {
    if (
      current.length === PUT_RECORD_BATCH_LIMITS.records ||
      bytes + r.byteLength > PUT_RECORD_BATCH_LIMITS.bytes
    ) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += r.byteLength;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** Where lake rows go: Firehose in AWS, Parquet files locally. */
export interface LakeSink {
  put(rows: readonly LakeRow[]): Promise<void>;
}

/**
 * The hot store's telemetry writes, copied to the lake: after the store answers, every record it
 * did not refuse as invalid goes to the lake flattened (a reading too old for the hot store is
 * still history). A lake failure throws, so the stream record is retried whole; the store's
 * conflict check makes the second write harmless.
 */
export function withLakeTelemetry(store: TelemetryStore, lake: LakeSink): TelemetryStore {
  return {
    async write(records): Promise<WriteResult> {
      const result = await store.write(records);
      const invalid = new Set(result.rejected.filter((r) => r.kind === 'invalid').map((r) => r.index));
      await lake.put(readingRows(records.filter((_, i) => !invalid.has(i))));
      return result;
    },
  };
}

/** Anomalies stored in the hot store, then copied to the lake's events table. */
export function withLakeAnomalies(store: EventStore, lake: LakeSink): EventStore {
  return {
    async putAnomalies(events) {
      await store.putAnomalies(events);
      await lake.put(anomalyRows(events));
    },
  };
}

/** Predictions stored in the hot store, then copied to the lake's events table. */
export function withLakePredictions(store: PredictionStore, lake: LakeSink): PredictionStore {
  return {
    async putPredictions(events) {
      await store.putPredictions(events);
      await lake.put(predictionRows(events));
    },
  };
}

/** Work-order states to the lake's events table (what the operator dashboard reads). */
export async function putWorkOrders(lake: LakeSink, orders: readonly WorkOrder[]): Promise<void> {
  await lake.put(workOrderRows(orders));
}
