import { Logger } from '@aws-lambda-powertools/logger';
import { loadEnv } from '../shared/env';
import { ProvisioningHookEnv } from './env';
import { decide, type PreProvisioningEvent, type PreProvisioningResponse } from './handler';

const env = loadEnv(ProvisioningHookEnv);
const serialPattern = new RegExp(env.SERIAL_PATTERN);
const logger = new Logger({ serviceName: 'provisioning-hook' });

export const handler = async (event: PreProvisioningEvent): Promise<PreProvisioningResponse> => {
  const { reason, ...response } = decide(event, serialPattern);
  logger.info('pre-provisioning decision', {
    serial: event.parameters?.SerialNumber,
    certificateId: event.certificateId,
    allow: response.allowProvisioning,
    reason,
  });
  return response;
};
