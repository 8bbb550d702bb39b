import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { loadEnv } from '../../shared/env';
import { FirehoseLake, withLakePredictions } from '../../shared/firehose-lake';
import { predictionStore } from '../../shared/hot-store';
import { S3ObjectStore } from '../../shared/s3-objects';
import { StorePredictionsEnv } from './env';
import { makeHandler } from './handler';

const env = loadEnv(StorePredictionsEnv);

export const handler = makeHandler({
  objects: new S3ObjectStore(new S3Client({})),
  predictions: withLakePredictions(
    predictionStore(env),
    new FirehoseLake({ client: new FirehoseClient({}), streamName: env.LAKE_EVENTS_STREAM }),
  ),
});
