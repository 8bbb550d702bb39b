import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as timestream from 'aws-cdk-lib/aws-timestream';
import { Construct } from 'constructs';
import { acknowledge } from '../common/nag';
import type { FunctionNetwork, ProjectFunction } from '../common/project-function';
import type { HotStore } from './hot-store';
import { InfluxDbToken } from './influxdb-token';
import type { StoreNetwork } from './store-network';

/** InfluxDB 2's port (Timestream's default for DB instances). */
export const INFLUXDB_PORT = 8086;
/** The bucket holding every measurement; the v1 API reads it as the database of the same name. */
export const INFLUXDB_BUCKET = 'aiot';
/** The instance's organization. */
export const INFLUXDB_ORGANIZATION = 'aiot';

export interface InfluxDbStoreProps {
  /** Prefix of the instance name (the stage keeps deployments apart). */
  readonly namePrefix: string;
  readonly network: StoreNetwork;
  readonly encryptionKey: kms.IKey;
  /** Bucket receiving the engine's hourly logs (under `InfluxLogs/`). */
  readonly logBucket: s3.Bucket;
  /** @default db.influx.medium (the smallest class) */
  readonly instanceType?: string;
  /** GiB, at least 20. @default 20 */
  readonly allocatedStorageGb?: number;
}

/**
 * The hot store on Amazon Timestream for InfluxDB: one InfluxDB 2 DB instance in the store
 * network's isolated subnets, reachable on its port only from the store functions' security
 * group, encrypted with the project key, engine logs to S3. The admin password is generated in
 * Secrets Manager and reaches CloudFormation as a dynamic reference (never in the template);
 * the functions authenticate with an API token kept in a second secret, which the stack fills
 * once the instance exists ({@link InfluxDbToken}: InfluxDB has no CloudFormation for tokens).
 */
export class InfluxDbStore extends Construct implements HotStore {
  public readonly backend = 'timestream-influxdb' as const;
  public readonly network: FunctionNetwork;
  public readonly instance: timestream.CfnInfluxDBInstance;
  public readonly securityGroup: ec2.SecurityGroup;
  /** The initial admin user's password (username `aiotadmin`). */
  public readonly adminSecret: secretsmanager.Secret;
  /** `{"token": …}`: the API token the functions use (read and write on the bucket). */
  public readonly tokenSecret: secretsmanager.Secret;
  /** `https://<endpoint>:8086`. */
  public readonly url: string;
  /** Makes the token in {@link tokenSecret} at deploy time. */
  public readonly token: InfluxDbToken;

  constructor(scope: Construct, id: string, props: InfluxDbStoreProps) {
    super(scope, id);
    this.network = props.network.functionNetwork;
    const vpc = props.network.vpc;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'aiot InfluxDB: its port from the store functions only',
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(
      props.network.clientSecurityGroup,
      ec2.Port.tcp(INFLUXDB_PORT),
      'InfluxDB API from the store functions',
    );

    this.adminSecret = new secretsmanager.Secret(this, 'Admin', {
      description: 'aiot InfluxDB initial admin password (user aiotadmin)',
      encryptionKey: props.encryptionKey,
      // InfluxDB passwords: letters and digits, 8 to 64 characters.
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'aiotadmin' }),
        generateStringKey: 'password',
        excludePunctuation: true,
        passwordLength: 32,
      },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.tokenSecret = new secretsmanager.Secret(this, 'Token', {
      description:
        'aiot InfluxDB API token of the functions ({"token": ...}); set by the stack once the instance exists',
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const secret of [this.adminSecret, this.tokenSecret]) {
      acknowledge(
        secret,
        'SMG4',
        'InfluxDB users and tokens are rotated inside InfluxDB (Timestream provides a rotation function per secret to deploy separately: https://docs.aws.amazon.com/timestream/latest/developerguide/timestream-for-influx-security-db-secrets.html); the functions re-read the secret after a refusal.',
      );
    }

    // Engine logs, hourly, to the log bucket (https://docs.aws.amazon.com/timestream/latest/developerguide/timestream-for-influx-managing-view-influx-logs.html).
    props.logBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('timestream-influxdb.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [props.logBucket.arnForObjects('InfluxLogs/*')],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );

    const name = `${props.namePrefix}-influx`.replace(/-+/g, '-');
    this.instance = new timestream.CfnInfluxDBInstance(this, 'Instance', {
      name,
      dbInstanceType: props.instanceType ?? 'db.influx.medium',
      dbStorageType: 'InfluxIOIncludedT1',
      allocatedStorage: props.allocatedStorageGb ?? 20,
      deploymentType: 'SINGLE_AZ',
      publiclyAccessible: false,
      port: INFLUXDB_PORT,
      organization: INFLUXDB_ORGANIZATION,
      bucket: INFLUXDB_BUCKET,
      username: 'aiotadmin',
      password: this.adminSecret.secretValueFromJson('password').unsafeUnwrap(),
      // No KmsKeyId: the L1 has it, but CloudFormation's resource schema refuses it on a DB
      // instance (validation F3002 at synth); the instance's storage is encrypted by the service.
      vpcSubnetIds: vpc.isolatedSubnets.map((s) => s.subnetId),
      vpcSecurityGroupIds: [this.securityGroup.securityGroupId],
      logDeliveryConfiguration: {
        s3Configuration: { bucketName: props.logBucket.bucketName, enabled: true },
      },
    });
    this.instance.node.addDependency(props.logBucket);
    this.url = `https://${this.instance.attrEndpoint}:${INFLUXDB_PORT}`;

    this.token = new InfluxDbToken(this, 'TokenMaker', {
      instance: this.instance,
      url: this.url,
      organization: INFLUXDB_ORGANIZATION,
      bucket: INFLUXDB_BUCKET,
      adminSecret: this.adminSecret,
      tokenSecret: this.tokenSecret,
      encryptionKey: props.encryptionKey,
      network: this.network,
    });
  }

  grantWriteTelemetry(fn: ProjectFunction): void {
    this.connect(fn);
  }

  grantWriteEvents(fn: ProjectFunction): void {
    this.connect(fn);
  }

  grantRead(fn: ProjectFunction): void {
    this.connect(fn);
  }

  /** Where the store is and the token secret to read: the adapters' `EnvParts.influxdb`. */
  private connect(fn: ProjectFunction): void {
    if (!fn.isBoundToVpc) {
      throw new Error(
        `${fn.node.path} uses the InfluxDB store but runs outside its VPC: give it the store's network`,
      );
    }
    fn.addEnvironment('STORAGE_BACKEND', this.backend);
    fn.addEnvironment('INFLUXDB_URL', this.url);
    fn.addEnvironment('INFLUXDB_DATABASE', INFLUXDB_BUCKET);
    fn.addEnvironment('INFLUXDB_SECRET_ARN', this.tokenSecret.secretArn);
    this.tokenSecret.grantRead(fn);
    // Made after the token: a function never starts on the secret's placeholder.
    fn.node.addDependency(this.token.resource);
  }
}
