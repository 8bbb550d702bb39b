import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TRAINING_MEASURES } from '../../../core/ml/features';
import { DynamoDbWorkOrderStore } from '../../shared/dynamodb-work-orders';
import { loadEnv } from '../../shared/env';
import { S3ObjectStore } from '../../shared/s3-objects';
import {
  featureWindows,
  runUnload,
  TimestreamHistoryReader,
  unloadStatement,
} from '../../shared/timestream-history';
import { ExportTrainingDataEnv } from './env';
import { makeHandler } from './handler';

const env = loadEnv(ExportTrainingDataEnv);
/** Bound on the evaluation readings one run reads into memory. */
const MAX_EVAL_ROWS = 200_000;

const timestream = new TimestreamQueryClient({});
const history = new TimestreamHistoryReader(timestream, env.TELEMETRY_DATABASE, env.TELEMETRY_TABLE);
const source = { database: env.TELEMETRY_DATABASE, table: env.TELEMETRY_TABLE, measures: TRAINING_MEASURES };

export const handler = makeHandler({
  objects: new S3ObjectStore(new S3Client({})),
  orders: new DynamoDbWorkOrderStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({})),
    env.WORK_ORDERS_TABLE,
  ),
  unloadTraining: (sinceMs, untilMs, s3Uri) =>
    runUnload(
      timestream,
      unloadStatement({ ...source, sinceMs, untilMs, s3Uri, kmsKeyArn: env.DATA_KEY_ARN }),
    ),
  readings: (since, until) => history.range(since, until, MAX_EVAL_ROWS),
  windows: (sinceMs, untilMs) => featureWindows(timestream, { ...source, sinceMs, untilMs }),
  trainingBucket: env.TRAINING_BUCKET,
  modelBucket: env.MODEL_BUCKET,
  defaultWindowDays: env.TRAINING_WINDOW_DAYS,
  inferenceMode: env.INFERENCE_MODE,
  namePrefix: env.NAME_PREFIX,
});
