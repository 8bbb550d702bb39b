import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbWorkOrderStore } from '../shared/dynamodb-work-orders';
import { loadEnv } from '../shared/env';
import { FirehoseLake, putWorkOrders } from '../shared/firehose-lake';
import { OperatorSyncEnv } from './env';
import { makeHandler } from './handler';

const env = loadEnv(OperatorSyncEnv);
const logger = new Logger({ serviceName: 'operator-sync' });
const lake = new FirehoseLake({ client: new FirehoseClient({}), streamName: env.LAKE_EVENTS_STREAM });

const sync = makeHandler({
  workOrders: new DynamoDbWorkOrderStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({})),
    env.WORK_ORDERS_TABLE,
  ),
  write: (orders) => putWorkOrders(lake, orders),
  // Runs every 5 minutes: three runs overlap, so a missed run loses nothing; the dashboard keeps
  // each order's latest state, so a state written twice is read once.
  lookbackMs: 15 * 60_000,
});

export const handler = async (): Promise<void> => {
  const result = await sync();
  logger.info('work orders mirrored', result);
};
