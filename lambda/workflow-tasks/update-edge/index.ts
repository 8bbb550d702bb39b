import { GreengrassV2Client } from '@aws-sdk/client-greengrassv2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { loadEnv } from '../../shared/env';
import { UpdateEdgeEnv } from './env';
import { makeHandler } from './handler';

const env = loadEnv(UpdateEdgeEnv);

/** Task of the retraining workflow: new detector thresholds to the edge. */
export const handler = makeHandler({
  client: new GreengrassV2Client({}),
  targetArn: env.EDGE_TARGET_ARN,
  componentName: env.EDGE_COMPONENT,
  ssm: new SSMClient({}),
  thresholdsParameter: env.EDGE_THRESHOLDS_PARAMETER,
});
