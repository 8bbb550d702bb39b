import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { composeQueryStore } from '../../core/query/model';
import { DynamoDbWorkOrderStore } from '../shared/dynamodb-work-orders';
import { loadEnv } from '../shared/env';
import { timeSeriesQueries } from '../shared/hot-store';
import { QueryApiEnv } from './env';
import { makeHandler } from './handler';

const env = loadEnv(QueryApiEnv);
const logger = new Logger({ serviceName: 'query-api' });

export const handler = makeHandler({
  store: composeQueryStore(
    timeSeriesQueries(env),
    new DynamoDbWorkOrderStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), env.WORK_ORDERS_TABLE),
  ),
  logError: (message, details) => logger.error(message, details),
  openApi: { auth: env.API_AUTH },
});
