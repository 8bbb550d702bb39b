import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { splitCommandAck } from '../../../core/rules';
import { handleCommandResponse } from '../../../core/workflows/anomaly-response';
import { DynamoDbWorkOrderStore } from '../../shared/dynamodb-work-orders';
import { loadEnv } from '../../shared/env';

const env = loadEnv(z.object({ WORK_ORDERS_TABLE: z.string().min(1) }));
const store = new DynamoDbWorkOrderStore(
  DynamoDBDocumentClient.from(new DynamoDBClient({})),
  env.WORK_ORDERS_TABLE,
);
const logger = new Logger({ serviceName: 'command-ack' });

/**
 * Target of the command-response rule (`SELECT *, topic() AS topic FROM 'cmd/aiot/+/+/safe-mode/res'`):
 * a device's `ok` acknowledges the work order its commandId names, which the waiting workflow sees.
 */
export const handler = async (event: unknown): Promise<void> => {
  const { topic, payload } = splitCommandAck(event);
  const result = await handleCommandResponse(topic, payload, store, Date.now);
  if (result.status === 'ignored') logger.warn('command response ignored', { topic, reason: result.reason });
  else logger.info('safe mode acknowledged', { workOrderId: result.order.id, status: result.order.status });
};
