import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { z } from 'zod';
import { loadEnv } from '../shared/env';
import { S3Quarantine } from '../shared/s3-quarantine';
import { TimestreamEventStore } from '../shared/timestream-events';
import { makeHandler } from './handler';

const env = loadEnv(
  z.object({
    EVENTS_DATABASE: z.string().min(1),
    EVENTS_TABLE: z.string().min(1),
    QUARANTINE_BUCKET: z.string().min(1),
  }),
);
const logger = new Logger({ serviceName: 'event-router' });
const route = makeHandler({
  events: new TimestreamEventStore(new TimestreamWriteClient({}), env.EVENTS_DATABASE, env.EVENTS_TABLE),
  quarantine: new S3Quarantine(new S3Client({}), env.QUARANTINE_BUCKET),
});

export const handler = async (event: unknown): Promise<void> => {
  const result = await route(event);
  if (result.status === 'quarantined') logger.warn('event quarantined', { reason: result.reason });
  else logger.info('anomaly routed', { deviceId: result.event.deviceId, severity: result.event.severity });
};
