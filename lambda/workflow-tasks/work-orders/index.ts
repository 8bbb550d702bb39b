import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { runWorkOrderTask } from '../../../core/workflows/anomaly-response';
import { DynamoDbWorkOrderStore } from '../../shared/dynamodb-work-orders';
import { loadEnv } from '../../shared/env';

const env = loadEnv(z.object({ WORK_ORDERS_TABLE: z.string().min(1) }));
const store = new DynamoDbWorkOrderStore(
  DynamoDBDocumentClient.from(new DynamoDBClient({})),
  env.WORK_ORDERS_TABLE,
);

/** Task of the anomaly-response workflow: open (idempotent), read status, escalate. */
export const handler = async (event: unknown) => runWorkOrderTask(event, store, Date.now);
