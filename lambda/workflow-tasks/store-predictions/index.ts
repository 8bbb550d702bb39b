import { S3Client } from '@aws-sdk/client-s3';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { loadEnv } from '../../shared/env';
import { S3ObjectStore } from '../../shared/s3-objects';
import { TimestreamPredictionStore } from '../../shared/timestream-predictions';
import { StorePredictionsEnv } from './env';
import { makeHandler } from './handler';

const env = loadEnv(StorePredictionsEnv);

export const handler = makeHandler({
  objects: new S3ObjectStore(new S3Client({})),
  predictions: new TimestreamPredictionStore(
    new TimestreamWriteClient({}),
    env.EVENTS_DATABASE,
    env.EVENTS_TABLE,
  ),
});
