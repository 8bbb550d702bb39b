import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { z } from 'zod';
import { loadEnv } from '../shared/env';
import { S3Quarantine } from '../shared/s3-quarantine';
import { TimestreamTelemetryStore } from '../shared/timestream-store';
import { makeHandler } from './handler';

const env = loadEnv(
  z.object({
    TELEMETRY_DATABASE: z.string().min(1),
    TELEMETRY_TABLE: z.string().min(1),
    QUARANTINE_BUCKET: z.string().min(1),
  }),
);

const logger = new Logger({ serviceName: 'stream-processor' });
const metrics = new Metrics({ namespace: 'aiot', serviceName: 'stream-processor' });

export const handler = makeHandler({
  store: new TimestreamTelemetryStore({
    client: new TimestreamWriteClient({}),
    databaseName: env.TELEMETRY_DATABASE,
    tableName: env.TELEMETRY_TABLE,
  }),
  quarantine: new S3Quarantine(new S3Client({}), env.QUARANTINE_BUCKET),
  logger,
  metrics,
});
