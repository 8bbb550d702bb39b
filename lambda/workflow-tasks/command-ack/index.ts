import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbWorkOrderStore } from '../../shared/dynamodb-work-orders';
import { loadEnv } from '../../shared/env';
import { CommandAckEnv } from './env';
import { makeHandler } from './handler';

const env = loadEnv(CommandAckEnv);

export const handler = makeHandler({
  store: new DynamoDbWorkOrderStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({})),
    env.WORK_ORDERS_TABLE,
  ),
  clock: Date.now,
  logger: new Logger({ serviceName: 'command-ack' }),
});
