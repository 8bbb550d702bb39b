import { GreengrassV2Client } from '@aws-sdk/client-greengrassv2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { z } from 'zod';
import { loadEnv } from '../../shared/env';
import { makeHandler } from './handler';

const env = loadEnv(
  z.object({
    EDGE_TARGET_ARN: z.string().default(''),
    EDGE_COMPONENT: z.string().min(1),
    EDGE_THRESHOLDS_PARAMETER: z.string().default(''),
  }),
);

/** Task of the retraining workflow: new detector thresholds to the edge. */
export const handler = makeHandler({
  client: new GreengrassV2Client({}),
  targetArn: env.EDGE_TARGET_ARN,
  componentName: env.EDGE_COMPONENT,
  ssm: new SSMClient({}),
  thresholdsParameter: env.EDGE_THRESHOLDS_PARAMETER,
});
