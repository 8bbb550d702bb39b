import { Logger } from '@aws-lambda-powertools/logger';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { startsResponse } from '../../core/episodes';
import { makeAnomalyWorkflowStarter } from '../shared/anomaly-workflow-starter';
import { loadEnv } from '../shared/env';
import { FirehoseLake, withLakeAnomalies } from '../shared/firehose-lake';
import { eventStore } from '../shared/hot-store';
import { S3Quarantine } from '../shared/s3-quarantine';
import { EventRouterEnv } from './env';
import { makeHandler } from './handler';

const env = loadEnv(EventRouterEnv);
const logger = new Logger({ serviceName: 'event-router' });
const startResponse = makeAnomalyWorkflowStarter({
  client: new SFNClient({}),
  stateMachineArn: env.ANOMALY_RESPONSE_ARN,
  ackPolicy: { pollSeconds: env.ACK_POLL_SECONDS, maxPolls: env.ACK_MAX_POLLS },
});
const route = makeHandler({
  events: withLakeAnomalies(
    eventStore(env),
    new FirehoseLake({ client: new FirehoseClient({}), streamName: env.LAKE_EVENTS_STREAM }),
  ),
  quarantine: new S3Quarantine(new S3Client({}), env.QUARANTINE_BUCKET),
  onAnomaly: async (event) => {
    // One workflow per anomaly episode, and one more when it escalates to critical (safe mode).
    if (!startsResponse(event)) return;
    const { name, started } = await startResponse(event);
    logger.info(started ? 'response workflow started' : 'response workflow already running', { name });
  },
});

export const handler = async (event: unknown): Promise<void> => {
  const result = await route(event);
  if (result.status === 'quarantined') logger.warn('event quarantined', { reason: result.reason });
  else logger.info('anomaly routed', { deviceId: result.event.deviceId, severity: result.event.severity });
};
