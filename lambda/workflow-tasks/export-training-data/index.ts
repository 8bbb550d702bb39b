import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { TRAINING_MEASURES } from '../../../core/ml/features';
import { exportTrainingData } from '../../../core/workflows/retraining';
import type { WorkOrder } from '../../../core/workorders';
import { DynamoDbWorkOrderStore } from '../../shared/dynamodb-work-orders';
import { loadEnv } from '../../shared/env';
import { S3ObjectStore } from '../../shared/s3-objects';
import {
  featureWindows,
  runUnload,
  TimestreamHistoryReader,
  unloadStatement,
} from '../../shared/timestream-history';

const env = loadEnv(
  z.object({
    TELEMETRY_DATABASE: z.string().min(1),
    TELEMETRY_TABLE: z.string().min(1),
    WORK_ORDERS_TABLE: z.string().min(1),
    TRAINING_BUCKET: z.string().min(1),
    MODEL_BUCKET: z.string().min(1),
    DATA_KEY_ARN: z.string().startsWith('arn:'),
    TRAINING_WINDOW_DAYS: z.coerce.number().int().min(1),
    INFERENCE_MODE: z.enum(['serverless', 'instance']),
    NAME_PREFIX: z.string().min(1),
  }),
);
/** Bound on the evaluation readings one run reads into memory. */
const MAX_EVAL_ROWS = 200_000;

const timestream = new TimestreamQueryClient({});
const objects = new S3ObjectStore(new S3Client({}));
const history = new TimestreamHistoryReader(timestream, env.TELEMETRY_DATABASE, env.TELEMETRY_TABLE);
const orders = new DynamoDbWorkOrderStore(
  DynamoDBDocumentClient.from(new DynamoDBClient({})),
  env.WORK_ORDERS_TABLE,
);

async function labelledOrders(since: number, until: number): Promise<WorkOrder[]> {
  const out: WorkOrder[] = [];
  for (const status of ['confirmed', 'closed'] as const) {
    let cursor: string | undefined;
    do {
      const page = await orders.list({ status, limit: 100, cursor });
      out.push(...page.items.filter((o) => o.label && o.window.start >= since && o.window.start < until));
      cursor = page.cursor;
    } while (cursor);
  }
  return out;
}

/**
 * Faults a fleet simulator injected, uploaded as `ground-truth/faults.json` (the simulator's
 * `--truth` file); none when absent.
 */
async function groundTruth(): Promise<{ deviceId: string; startMs?: number }[]> {
  const text = await objects.get(`s3://${env.TRAINING_BUCKET}/ground-truth/faults.json`);
  if (!text) return [];
  return z
    .array(z.looseObject({ deviceId: z.string(), startMs: z.number().optional() }))
    .parse(JSON.parse(text));
}

/** Task of the retraining workflow: training rows by UNLOAD, the labelled evaluation set beside them. */
export const handler = async (event: unknown) =>
  exportTrainingData(event, {
    objects,
    unloadTraining: (sinceMs, untilMs, s3Uri) =>
      runUnload(
        timestream,
        unloadStatement({
          database: env.TELEMETRY_DATABASE,
          table: env.TELEMETRY_TABLE,
          measures: TRAINING_MEASURES,
          sinceMs,
          untilMs,
          s3Uri,
          kmsKeyArn: env.DATA_KEY_ARN,
        }),
      ),
    readings: (since, until) => history.range(since, until, MAX_EVAL_ROWS),
    labelledOrders,
    trainingBucket: env.TRAINING_BUCKET,
    modelBucket: env.MODEL_BUCKET,
    defaultWindowDays: env.TRAINING_WINDOW_DAYS,
    inferenceMode: env.INFERENCE_MODE,
    namePrefix: env.NAME_PREFIX,
    windows: (sinceMs, untilMs) =>
      featureWindows(timestream, {
        database: env.TELEMETRY_DATABASE,
        table: env.TELEMETRY_TABLE,
        measures: TRAINING_MEASURES,
        sinceMs,
        untilMs,
      }),
    groundTruth,
  });
