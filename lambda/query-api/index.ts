import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { composeQueryStore } from '../../core/query/model';
import { DynamoDbWorkOrderStore } from '../shared/dynamodb-work-orders';
import { loadEnv } from '../shared/env';
import { TimestreamQueryStore } from '../shared/timestream-query';
import { QueryApiEnv } from './env';
import { makeHandler } from './handler';

const env = loadEnv(QueryApiEnv);
const logger = new Logger({ serviceName: 'query-api' });

export const handler = makeHandler({
  store: composeQueryStore(
    new TimestreamQueryStore({ client: new TimestreamQueryClient({}), databaseName: env.TELEMETRY_DATABASE }),
    new DynamoDbWorkOrderStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), env.WORK_ORDERS_TABLE),
  ),
  logError: (message, details) => logger.error(message, details),
  openApi: { auth: env.API_AUTH },
});
