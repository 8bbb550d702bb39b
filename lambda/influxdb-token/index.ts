import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { loadEnv } from '../shared/env';
import { InfluxDbTokenEnv } from './env';
import { makeHandler } from './handler';

const env = loadEnv(InfluxDbTokenEnv);
const logger = new Logger({ serviceName: 'influxdb-token' });
const token = makeHandler({
  secrets: new SecretsManagerClient({}),
  clock: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  log: {
    info: (message, extra) => logger.info(message, extra ?? {}),
    warn: (message, extra) => logger.warn(message, extra ?? {}),
  },
  readyBudgetMs: env.READY_BUDGET_MS,
  deleteBudgetMs: env.DELETE_BUDGET_MS,
  requestTimeoutMs: env.INFLUXDB_TIMEOUT_MS,
});

// The event is logged without its properties' values beyond ARNs and names: it holds no secret.
export const handler = async (event: CloudFormationCustomResourceEvent) => {
  logger.info('custom resource request', {
    requestType: event.RequestType,
    logicalId: event.LogicalResourceId,
  });
  const result = await token(event);
  logger.info('custom resource done', { physicalResourceId: result.PhysicalResourceId });
  return result;
};
