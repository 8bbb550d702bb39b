import { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { promoteModel } from '../../../core/workflows/retraining';
import { loadEnv } from '../../shared/env';
import { S3ObjectStore } from '../../shared/s3-objects';

const env = loadEnv(z.object({ MODEL_BUCKET: z.string().min(1) }));
const objects = new S3ObjectStore(new S3Client({}));

/** Task of the retraining workflow: records the deployed model as the one to beat next time. */
export const handler = async (event: unknown) =>
  promoteModel(event, { objects, modelBucket: env.MODEL_BUCKET, clock: Date.now });
