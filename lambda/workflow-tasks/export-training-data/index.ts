import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TRAINING_MEASURES } from '../../../core/ml/features';
import { DynamoDbWorkOrderStore } from '../../shared/dynamodb-work-orders';
import { loadEnv } from '../../shared/env';
import { LakeReader } from '../../shared/lake-reader';
import { S3ObjectStore } from '../../shared/s3-objects';
import { ExportTrainingDataEnv } from './env';
import { makeHandler } from './handler';

const env = loadEnv(ExportTrainingDataEnv);
/** Bound on the evaluation readings one run reads into memory. */
const MAX_EVAL_ROWS = 200_000;

const lake = new LakeReader(
  new AthenaClient({}),
  { database: env.LAKE_DATABASE },
  { workGroup: env.ATHENA_WORKGROUP, timeoutMs: 12 * 60_000 },
);

export const handler = makeHandler({
  objects: new S3ObjectStore(new S3Client({})),
  orders: new DynamoDbWorkOrderStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({})),
    env.WORK_ORDERS_TABLE,
  ),
  unloadTraining: (sinceMs, untilMs, s3Uri) =>
    lake.unloadTraining(TRAINING_MEASURES, sinceMs, untilMs, s3Uri),
  readings: (since, until) => lake.readings(TRAINING_MEASURES, since, until, MAX_EVAL_ROWS),
  windows: (sinceMs, untilMs) => lake.windows(TRAINING_MEASURES, sinceMs, untilMs),
  trainingBucket: env.TRAINING_BUCKET,
  modelBucket: env.MODEL_BUCKET,
  defaultWindowDays: env.TRAINING_WINDOW_DAYS,
  inferenceMode: env.INFERENCE_MODE,
  namePrefix: env.NAME_PREFIX,
});
