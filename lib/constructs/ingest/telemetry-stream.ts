import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../common/nag';

/**
 * A Kinesis event source mapping discards records older than at most 604,800 s (7 days)
 * (MaximumRecordAgeInSeconds: https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html),
 * while a stream keeps records up to 8,760 hours. The mapping gives up on a record at the
 * stream's retention or at 7 days, whichever comes first; the record's coordinates then go to
 * the dead-letter queue, and with a longer retention the record itself is still in the stream to replay.
 */
export const ESM_MAX_RECORD_AGE = Duration.days(7);

export function maxRecordAge(retentionHours: number): Duration {
  return Duration.hours(Math.min(retentionHours, ESM_MAX_RECORD_AGE.toHours()));
}

export interface TelemetryStreamProps {
  readonly encryptionKey: kms.IKey;
  readonly capacityMode: 'ON_DEMAND' | 'PROVISIONED';
  /** Used only in PROVISIONED mode. */
  readonly shards: number;
  readonly retentionHours: number;
  readonly batchSize: number;
  readonly batchWindowSeconds: number;
  readonly retryAttempts: number;
}

/**
 * The telemetry stream (partition key = device id, so one device's messages stay in order)
 * and the dead-letter queue for batches the processor cannot finish after its retries.
 */
export class TelemetryStream extends Construct {
  public readonly stream: kinesis.Stream;
  public readonly deadLetterQueue: sqs.Queue;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: TelemetryStreamProps,
  ) {
    super(scope, id);
    const onDemand = props.capacityMode === 'ON_DEMAND';
    this.stream = new kinesis.Stream(this, 'Stream', {
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: props.encryptionKey,
      streamMode: onDemand ? kinesis.StreamMode.ON_DEMAND : kinesis.StreamMode.PROVISIONED,
      shardCount: onDemand ? undefined : props.shards,
      retentionPeriod: Duration.hours(props.retentionHours),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.deadLetterQueue,
      'SQS3',
      'This queue is the dead-letter queue of the telemetry stream processing.',
    );
    acknowledge(
      this.stream,
      'KDS3',
      'The stream uses the project customer-managed KMS key (rotation, key policy and audit under our control) instead of aws/kinesis.',
    );
  }

  /**
   * Feeds the stream to `fn`: batching window, bisect on error, bounded retries, partial batch
   * responses, and on final failure the batch's coordinates go to the dead-letter queue.
   */
  attachProcessor(fn: lambda.Function): void {
    const source = new sources.KinesisEventSource(this.stream, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: this.props.batchSize,
      maxBatchingWindow: Duration.seconds(this.props.batchWindowSeconds),
      bisectBatchOnError: true,
      retryAttempts: this.props.retryAttempts,
      reportBatchItemFailures: true,
      maxRecordAge: maxRecordAge(this.props.retentionHours),
      onFailure: new sources.SqsDlq(this.deadLetterQueue),
    });
    fn.addEventSource(source);
  }
}
