import { S3Client } from '@aws-sdk/client-s3';
import { loadEnv } from '../../shared/env';
import { S3ObjectStore } from '../../shared/s3-objects';
import { PromoteModelEnv } from './env';
import { makeHandler } from './handler';

const env = loadEnv(PromoteModelEnv);

export const handler = makeHandler({
  objects: new S3ObjectStore(new S3Client({})),
  modelBucket: env.MODEL_BUCKET,
  clock: Date.now,
});
