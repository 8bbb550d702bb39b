import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SFNClient } from '@aws-sdk/client-sfn';
import { makeAnomalyWorkflowStarter } from '../shared/anomaly-workflow-starter';
import { makeCloudScoring } from '../shared/cloud-scoring';
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
  onOutcome: makeCloudScoring({
    scorer,
    events,
    startResponse,
    onScored: (batch) => {
      metrics.addMetric(
        batch.scorer === 'endpoint' ? 'ScoredByEndpoint' : 'ScoredByDetector',
        MetricUnit.Count,
        batch.scores.length,
      );
      if (batch.fallbackReason && batch.fallbackReason !== 'no model deployed') {
        logger.warn('scored in-process instead of the endpoint', { reason: batch.fallbackReason });
      }
    },
  }),
});
