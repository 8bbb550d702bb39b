import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { acknowledge, nagArn, REASONS } from '../common/nag';

/** Acknowledges a CDK grant limited to one prefix of a bucket (the finding names the bucket's logical id). */
export function acknowledgeBucketPrefix(
  scope: IConstruct,
  bucket: s3.IBucket,
  prefix: string,
  reason: string,
): void {
  const id = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
  acknowledge(scope, `IAM5[Resource::<${id}.Arn>/${prefix}/*]`, reason);
}

export interface SageMakerRoleProps {
  readonly trainingBucket: s3.IBucket;
  readonly modelBucket: s3.IBucket;
  readonly encryptionKey: kms.IKey;
}

/**
 * The role SageMaker jobs and endpoints run as: reads training data and evaluation sets, writes
 * scores and model artifacts, logs to its own log groups; nothing else.
 */
export class SageMakerRole extends Construct {
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: SageMakerRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'aiot SageMaker training, batch transform and endpoints',
    });
    props.trainingBucket.grantRead(this.role, 'runs/*');
    props.trainingBucket.grantPut(this.role, 'runs/*');
    props.modelBucket.grantReadWrite(this.role, 'models/*');
    props.encryptionKey.grantEncryptDecrypt(this.role);
    const logGroupsNag = nagArn(this, 'logs', 'log-group:/aws/sagemaker/*');
    const logGroups = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: '/aws/sagemaker/*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
        ],
        resources: [logGroups, `${logGroups}:*`],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
      }),
    );
    for (const rule of [
      'IAM5[Action::s3:GetObject*]',
      'IAM5[Action::s3:GetBucket*]',
      'IAM5[Action::s3:List*]',
      'IAM5[Action::s3:Abort*]',
      'IAM5[Action::s3:DeleteObject*]',
    ]) {
      acknowledge(
        this.role,
        rule,
        'CDK bucket grants, limited to the runs/ and models/ prefixes of the two ML buckets.',
      );
    }
    acknowledgeBucketPrefix(
      this.role,
      props.trainingBucket,
      'runs',
      'Jobs read the run data and write their scores under runs/.',
    );
    acknowledgeBucketPrefix(
      this.role,
      props.modelBucket,
      'models',
      'Training writes model artifacts under models/.',
    );
    acknowledge(
      this.role,
      `IAM5[Resource::${logGroupsNag}]`,
      'SageMaker names its job log groups under /aws/sagemaker/.',
    );
    acknowledge(this.role, `IAM5[Resource::${logGroupsNag}:*]`, 'The log streams of those log groups.');
    acknowledge(this.role, 'IAM5[Action::kms:GenerateDataKey*]', REASONS.kmsGrant);
    acknowledge(this.role, 'IAM5[Action::kms:ReEncrypt*]', REASONS.kmsGrant);
    acknowledge(
      this.role,
      'IAM5[Resource::*]',
      'cloudwatch:PutMetricData has no resource; it is limited to the SageMaker namespaces.',
    );
  }
}
