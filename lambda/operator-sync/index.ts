import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TimestreamWriteClient, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbWorkOrderStore } from '../shared/dynamodb-work-orders';
import { loadEnv } from '../shared/env';
import { chunk, MAX_RECORDS_PER_WRITE } from '../shared/timestream-store';
import { OperatorSyncEnv } from './env';
import { makeHandler } from './handler';
import { toWorkOrderRecord } from './records';

const env = loadEnv(OperatorSyncEnv);
const logger = new Logger({ serviceName: 'operator-sync' });
const timestream = new TimestreamWriteClient({});

const sync = makeHandler({
  workOrders: new DynamoDbWorkOrderStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({})),
    env.WORK_ORDERS_TABLE,
  ),
  write: async (orders) => {
    for (const part of chunk(orders, MAX_RECORDS_PER_WRITE)) {
      await timestream.send(
        new WriteRecordsCommand({
          DatabaseName: env.EVENTS_DATABASE,
          TableName: env.EVENTS_TABLE,
          Records: part.map(toWorkOrderRecord),
        }),
      );
    }
  },
});

export const handler = async (): Promise<void> => {
  const result = await sync();
  logger.info('work orders mirrored', result);
};
