import { Aws, CfnRule, Fn, type Stack, Token } from 'aws-cdk-lib';
import { ConfigError } from '../../config';

/**
 * The AWS Regions the stack deploys to: those where every service it needs exists. The narrow
 * ones decide: Timestream for LiveAnalytics (the storage backend) is offered in these eight
 * commercial Regions, and AWS IoT Greengrass V2 and SageMaker serverless inference are offered in
 * each of them, as are IoT Core, Kinesis, Lambda, Step Functions, EventBridge Scheduler, SNS, SQS,
 * S3, DynamoDB, KMS, API Gateway and CloudWatch.
 * - https://docs.aws.amazon.com/general/latest/gr/timestream.html (Timestream for LiveAnalytics endpoints)
 * - https://docs.aws.amazon.com/general/latest/gr/greengrassv2.html (Greengrass V2 endpoints)
 * - https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html (Regions of serverless inference)
 */
export const DEPLOY_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-2',
  'ap-south-1',
  'ap-northeast-1',
  'ap-southeast-2',
  'eu-central-1',
  'eu-west-1',
] as const;

/** The longest Region name the stack may deploy to: ARNs grow with it (IoT policy sizes). */
export const LONGEST_DEPLOY_REGION = [...DEPLOY_REGIONS].reduce((a, b) => (b.length > a.length ? b : a));

const regionList = () => DEPLOY_REGIONS.join(', ');

/**
 * Refuses Regions the stack cannot deploy to. With a Region known at synth, synth fails naming it;
 * an environment-agnostic template carries a CloudFormation rule that refuses the stack anywhere else.
 */
export function restrictToDeployRegions(stack: Stack): void {
  const region = stack.region;
  if (!Token.isUnresolved(region)) {
    if (!(DEPLOY_REGIONS as readonly string[]).includes(region)) {
      throw new ConfigError(
        `aiot cannot deploy to ${region}: not every service it needs is offered there (Timestream for LiveAnalytics, ` +
          `Greengrass V2, SageMaker serverless inference). Deploy to one of: ${regionList()}.`,
      );
    }
    return;
  }
  new CfnRule(stack, 'DeployRegion', {
    assertions: [
      {
        assert: Fn.conditionContains([...DEPLOY_REGIONS], Aws.REGION),
        assertDescription: `aiot deploys only to Regions where every service it needs exists: ${regionList()}.`,
      },
    ],
  });
}
