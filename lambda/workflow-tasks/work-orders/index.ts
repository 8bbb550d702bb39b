import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbWorkOrderStore } from '../../shared/dynamodb-work-orders';
import { loadEnv } from '../../shared/env';
import { WorkOrdersTaskEnv } from './env';
import { makeHandler } from './handler';

const env = loadEnv(WorkOrdersTaskEnv);

export const handler = makeHandler({
  store: new DynamoDbWorkOrderStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({})),
    env.WORK_ORDERS_TABLE,
  ),
  clock: Date.now,
});
