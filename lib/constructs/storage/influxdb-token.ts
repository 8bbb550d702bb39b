import { CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as timestream from 'aws-cdk-lib/aws-timestream';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge } from '../common/nag';
import { type FunctionNetwork, ProjectFunction } from '../common/project-function';

export interface InfluxDbTokenProps {
  readonly instance: timestream.CfnInfluxDBInstance;
  /** `https://<endpoint>:<port>` of the instance. */
  readonly url: string;
  readonly organization: string;
  readonly bucket: string;
  /** `{"username": …, "password": …}` of the instance's admin user. */
  readonly adminSecret: secretsmanager.ISecret;
  /** Receives `{"token": …}`. */
  readonly tokenSecret: secretsmanager.ISecret;
  /** The key encrypting both secrets. */
  readonly encryptionKey: kms.IKey;
  /** The store's network: the function reaches the instance from its client security group. */
  readonly network: FunctionNetwork;
}

/**
 * The functions' InfluxDB API token, made by the stack: a custom resource whose function
 * (`lambda/influxdb-token`, inside the store's VPC) signs in as the admin, creates an
 * authorization with read and write on the bucket only and puts `{"token": …}` in the token
 * secret; it deletes that authorization when the resource goes. The CDK provider framework
 * answers CloudFormation
 * (https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.custom_resources-readme.html), so the
 * function inside the isolated subnets needs no route to the response bucket. No secret goes to
 * the template, the resource's Data or the logs.
 */
export class InfluxDbToken extends Construct {
  public readonly function: ProjectFunction;
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: InfluxDbTokenProps) {
    super(scope, id);
    this.function = new ProjectFunction(this, 'Function', {
      entry: 'influxdb-token',
      description: 'Makes the InfluxDB API token of the store functions (custom resource)',
      // The framework waits at most 15 minutes for it; the function's own budget is 10.
      timeout: Duration.minutes(14),
      network: props.network,
    });
    // Read the admin password; read and write the token (PutSecretValue only: no UpdateSecret).
    props.adminSecret.grantRead(this.function);
    props.tokenSecret.grantRead(this.function);
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:PutSecretValue'],
        resources: [props.tokenSecret.secretArn],
      }),
    );
    // Secrets Manager decrypts and encrypts the secrets' versions with their key on the caller's
    // behalf (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
    props.encryptionKey.grant(this.function, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');

    const frameworkLogs = new logs.LogGroup(this, 'ProviderLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: logs to its own group only.
    const frameworkRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'aiot InfluxDB token: the custom resource provider framework',
      inlinePolicies: {
        logs: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              resources: [frameworkLogs.logGroupArn],
            }),
          ],
        }),
      },
    });
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.function,
      frameworkOnEventRole: frameworkRole,
      logGroup: frameworkLogs,
    });
    const functionRef = Stack.of(this).getLogicalId(this.function.node.defaultChild as lambda.CfnFunction);
    acknowledge(
      frameworkRole,
      `IAM5[Resource::<${functionRef}.Arn>:*]`,
      'The provider framework may invoke any version of the token function (CDK grantInvoke on the function ARN and its qualifiers); the function is the only resource.',
    );

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::InfluxDbToken',
      properties: {
        Url: props.url,
        Organization: props.organization,
        Bucket: props.bucket,
        AdminSecretArn: props.adminSecret.secretArn,
        TokenSecretArn: props.tokenSecret.secretArn,
        // A replaced instance has a new id: CloudFormation sends an Update and a new token is made.
        InstanceId: props.instance.attrId,
      },
    });
    this.resource.node.addDependency(props.instance, props.adminSecret, props.tokenSecret);
  }
}
