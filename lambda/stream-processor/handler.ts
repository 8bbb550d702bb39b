import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { parser } from '@aws-lambda-powertools/batch/parser';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  KinesisDataStreamRecord,
  KinesisDataStreamRecordPayload,
} from '@aws-lambda-powertools/parser/schemas/kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { z } from 'zod';
import { type IngestOutcome, ingestMessage } from '../../core/ingest';
import type { Quarantine, TelemetryStore } from '../../core/ports';

export const SOURCE = 'stream-processor';

/** The Kinesis record with its data left as base64, so the raw bytes reach the quarantine intact. */
const KinesisRecordSchema = KinesisDataStreamRecord.extend({
  kinesis: KinesisDataStreamRecordPayload.extend({ data: z.string() }),
});
type KinesisRecord = z.infer<typeof KinesisRecordSchema>;

export interface StreamProcessorDeps {
  readonly store: TelemetryStore;
  readonly quarantine: Quarantine;
  readonly clock?: () => number;
  readonly logger?: Pick<Logger, 'debug' | 'warn' | 'error'>;
  readonly metrics?: Metrics;
  /** Called with every outcome (the local runtime counts them). */
  readonly onOutcome?: (outcome: IngestOutcome, record: KinesisRecord) => unknown;
  /**
   * Called once per batch, after every record is through, with the outcomes of the records
   * processed (not those reported as failures: they come again): anomaly scoring hooks in here,
   * so the batch is scored in one go. When it throws, the whole batch is retried; what was
   * stored is stored again as the same records, and readings already scored are not scored again.
   */
  readonly onBatch?: (outcomes: readonly IngestOutcome[]) => Promise<unknown>;
}

export type StreamHandler = (
  event: KinesisStreamEvent,
  context?: Context,
) => Promise<KinesisStreamBatchResponse>;

/**
 * The stream processor: each Kinesis record is one device message. Valid readings are written
 * to the store, invalid messages and refused records go to the quarantine with their reason,
 * and only a record whose write cannot be completed (store unreachable, throttled past the
 * retries) is reported as a batch item failure, so Lambda retries just that one (and the same
 * device's records after it). Devices are processed side by side, each device's records in order.
 */
export function makeHandler(deps: StreamProcessorDeps): StreamHandler {
  const clock = deps.clock ?? Date.now;
  const processor = new BatchProcessor(EventType.KinesisDataStreams, {
    parser,
    schema: KinesisRecordSchema,
    logger: deps.logger,
  });

  const processRecord = async (record: KinesisRecord): Promise<IngestOutcome> => {
    const outcome = await ingestMessage(Buffer.from(record.kinesis.data, 'base64'), {
      store: deps.store,
      quarantine: deps.quarantine,
      now: clock(),
      source: SOURCE,
    });
    if (outcome.status === 'quarantined') {
      deps.logger?.warn('message quarantined', {
        reason: outcome.reason,
        partitionKey: record.kinesis.partitionKey,
        sequenceNumber: record.kinesis.sequenceNumber,
      });
      deps.metrics?.addMetric('MessagesQuarantined', MetricUnit.Count, 1);
    } else {
      deps.metrics?.addMetric('ReadingsStored', MetricUnit.Count, outcome.stored);
      if (outcome.rejected > 0)
        deps.metrics?.addMetric('ReadingsRejected', MetricUnit.Count, outcome.rejected);
    }
    await deps.onOutcome?.(outcome, record);
    return outcome;
  };

  return async (event, context) => {
    // Records of different devices go in parallel; one device's records in order (its partition
    // key), as its detector and sequence numbers need. When one of them fails, the device's later
    // records fail with it: Lambda retries them after it, in order, instead of storing them first.
    const previous = new Map<string, Promise<IngestOutcome>>();
    const processed: IngestOutcome[] = [];
    const recordHandler = (record: KinesisRecord): Promise<IngestOutcome> => {
      const key = record.kinesis.partitionKey;
      const before = previous.get(key);
      const mine = (
        before
          ? before.then(
              () => processRecord(record),
              () => {
                throw new Error(`an earlier record of ${key} in this batch failed; retried after it`);
              },
            )
          : processRecord(record)
      ).then((outcome) => {
        processed.push(outcome);
        return outcome;
      });
      previous.set(key, mine);
      return mine;
    };
    try {
      const response = await processPartialResponse(event, recordHandler, processor, {
        context,
        throwOnFullBatchFailure: false,
        processInParallel: true,
      });
      if (deps.onBatch && processed.length > 0) await deps.onBatch(processed);
      return response;
    } finally {
      deps.metrics?.publishStoredMetrics();
    }
  };
}
