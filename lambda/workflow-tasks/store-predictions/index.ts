import { S3Client } from '@aws-sdk/client-s3';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { z } from 'zod';
import { storePredictions } from '../../../core/workflows/retraining';
import { loadEnv } from '../../shared/env';
import { S3ObjectStore } from '../../shared/s3-objects';
import { TimestreamPredictionStore } from '../../shared/timestream-predictions';

const env = loadEnv(z.object({ EVENTS_DATABASE: z.string().min(1), EVENTS_TABLE: z.string().min(1) }));
const objects = new S3ObjectStore(new S3Client({}));
const predictions = new TimestreamPredictionStore(
  new TimestreamWriteClient({}),
  env.EVENTS_DATABASE,
  env.EVENTS_TABLE,
);

/** Task of the retraining workflow: the predictor's output as prediction events beside the anomalies. */
export const handler = async (event: unknown) => storePredictions(event, { objects, predictions });
