import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { makeAnomalyWorkflowStarter } from '../shared/anomaly-workflow-starter';
import { makeCloudScoring } from '../shared/cloud-scoring';
import { DynamoDbDetectorStateStore } from '../shared/dynamodb-detector-state';
import { EndpointScorer, registryModel } from '../shared/endpoint-scorer';
import { loadEnv } from '../shared/env';
import { FirehoseLake, withLakeAnomalies, withLakeTelemetry } from '../shared/firehose-lake';
import { eventStore, telemetryStore } from '../shared/hot-store';
import { S3ObjectStore } from '../shared/s3-objects';
import { S3Quarantine } from '../shared/s3-quarantine';
import { PIPELINE_METRICS, StreamProcessorEnv } from './env';
import { makeHandler } from './handler';

const env = loadEnv(StreamProcessorEnv);

const logger = new Logger({ serviceName: PIPELINE_METRICS.service });
const metrics = new Metrics({ namespace: PIPELINE_METRICS.namespace, serviceName: PIPELINE_METRICS.service });
const s3 = new S3Client({});
const scorer = new EndpointScorer({
  client: new SageMakerRuntimeClient({}),
  model: registryModel(new S3ObjectStore(s3), env.MODEL_BUCKET),
  timeoutMs: env.SCORING_TIMEOUT_MS,
  states: new DynamoDbDetectorStateStore({
    client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    tableName: env.DETECTOR_STATE_TABLE,
  }),
  saveIntervalMs: env.DETECTOR_STATE_SAVE_SECONDS * 1000,
});
const firehose = new FirehoseClient({});
const events = withLakeAnomalies(
  eventStore(env),
  new FirehoseLake({ client: firehose, streamName: env.LAKE_EVENTS_STREAM }),
);
const startResponse = makeAnomalyWorkflowStarter({
  client: new SFNClient({}),
  stateMachineArn: env.ANOMALY_RESPONSE_ARN,
  ackPolicy: { pollSeconds: env.ACK_POLL_SECONDS, maxPolls: env.ACK_MAX_POLLS },
});

export const handler = makeHandler({
  store: withLakeTelemetry(
    telemetryStore(env),
    new FirehoseLake({ client: firehose, streamName: env.LAKE_READINGS_STREAM }),
  ),
  quarantine: new S3Quarantine(s3, env.QUARANTINE_BUCKET),
  logger,
  metrics,
  onBatch: makeCloudScoring({
    scorer,
    events,
    startResponse,
    onScored: (batch) => {
      metrics.addMetric(
        batch.scorer === 'endpoint' ? 'ScoredByEndpoint' : 'ScoredByDetector',
        MetricUnit.Count,
        batch.scores.length,
      );
      if (batch.anomalies.length > 0)
        metrics.addMetric('AnomalyEvents', MetricUnit.Count, batch.anomalies.length);
      if (batch.fallbackReason && batch.fallbackReason !== 'no model deployed') {
        logger.warn('scored in-process instead of the endpoint', { reason: batch.fallbackReason });
      }
      const { states } = batch;
      if (states.discarded.length > 0) {
        metrics.addMetric('DetectorStatesDiscarded', MetricUnit.Count, states.discarded.length);
        logger.warn('saved detector states not used; those devices start fresh', {
          discarded: states.discarded,
        });
      }
      if (states.refused.length > 0) {
        // A state the store refuses (larger than an item may be) is kept in memory only: the
        // device relearns after the next cold start. The alarm on this metric says so.
        metrics.addMetric('DetectorStatesRefused', MetricUnit.Count, states.refused.length);
        logger.error('detector states refused by the store', { refused: states.refused });
      }
      if (states.saveError) {
        metrics.addMetric('DetectorStateSaveFailures', MetricUnit.Count, 1);
        logger.error('saving detector states failed; tried again with the next batch', {
          error: states.saveError,
        });
      }
    },
  }),
});
