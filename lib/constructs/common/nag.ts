import { Stack, Token, Validations } from 'aws-cdk-lib';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag AwsSolutions finding on a construct (and what it contains), with
 * the reason it is acceptable. Every acknowledgement in the project goes through here.
 */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
}

/** Reasons shared by the grants CDK generates, so they are worded once. */
export const REASONS = {
  kmsGrant:
    'kms:GenerateDataKey*/ReEncrypt* come from the CDK grant for the project data key and are scoped to that one key ARN.',
  s3Grant:
    's3:Abort* comes from the CDK put grant (aborting its own multipart uploads) on one bucket prefix.',
  xray: 'xray:PutTraceSegments/PutTelemetryRecords support no resource-level permission (Lambda active tracing).',
  vpcAccess:
    'Lambda manages the function ENIs in the VPC with the execution role; ec2:DescribeNetworkInterfaces works only on "*" and the ENI ids are not known before Lambda creates them (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html).',
} as const;

/** Acknowledges the wildcards of a CDK put grant on a bucket prefix for a KMS-encrypted bucket. */
export function acknowledgeBucketPut(scope: IConstruct, bucket: s3.IBucket, prefix: string): void {
  const bucketLogicalRef = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
  acknowledge(scope, 'IAM5[Action::s3:Abort*]', REASONS.s3Grant);
  acknowledge(scope, 'IAM5[Action::kms:GenerateDataKey*]', REASONS.kmsGrant);
  acknowledge(scope, 'IAM5[Action::kms:ReEncrypt*]', REASONS.kmsGrant);
  acknowledge(
    scope,
    `IAM5[Resource::<${bucketLogicalRef}.Arn>/${prefix}/*]`,
    `Objects are written under the ${prefix}/ prefix with generated keys; the grant is limited to that prefix.`,
  );
}

/**
 * How cdk-nag prints an ARN of the stack's own account in a finding id: what the stack's
 * environment leaves unresolved prints as the pseudo parameter (`<AWS::Region>` …), the rest as
 * its value — so an acknowledgement matches both an env-agnostic synth and `cdk synth` with a region.
 */
export function nagArn(scope: IConstruct, service: string, resource: string): string {
  const s = Stack.of(scope);
  const shown = (t: string, pseudo: string) => (Token.isUnresolved(t) ? `<AWS::${pseudo}>` : t);
  return `arn:${shown(s.partition, 'Partition')}:${service}:${shown(s.region, 'Region')}:${shown(s.account, 'AccountId')}:${resource}`;
}
