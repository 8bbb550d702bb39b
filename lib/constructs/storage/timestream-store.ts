import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as timestream from 'aws-cdk-lib/aws-timestream';
import { Construct } from 'constructs';
import type { ProjectFunction } from '../common/project-function';
import type { HotStore } from './hot-store';

export interface TimestreamStoreProps {
  /** Prefix of the database name (the stage keeps deployments apart). */
  readonly namePrefix: string;
  readonly encryptionKey: kms.IKey;
  readonly memoryRetentionHours: number;
  readonly magneticRetentionDays: number;
  /** Where Timestream puts records it rejects from magnetic-store writes. */
  readonly rejectedDataBucket: s3.IBucket;
}

/**
 * The time-series store on Amazon Timestream for LiveAnalytics: a KMS-encrypted database with
 * a `telemetry` table (device readings) and an `events` table (anomalies and predictions).
 * Magnetic-store writes are on, so readings replayed after a long outage are still accepted;
 * what Timestream rejects from them lands in S3 with the reason.
 */
export class TimestreamStore extends Construct implements HotStore {
  public readonly backend = 'timestream-liveanalytics' as const;
  public readonly database: timestream.CfnDatabase;
  public readonly telemetryTable: timestream.CfnTable;
  public readonly eventsTable: timestream.CfnTable;
  public readonly databaseName: string;

  constructor(scope: Construct, id: string, props: TimestreamStoreProps) {
    super(scope, id);
    this.databaseName = `${props.namePrefix}`;
    this.database = new timestream.CfnDatabase(this, 'Database', {
      databaseName: this.databaseName,
      kmsKeyId: props.encryptionKey.keyArn,
    });
    const table = (tableId: string, tableName: string) => {
      const t = new timestream.CfnTable(this, tableId, {
        databaseName: this.databaseName,
        tableName,
        retentionProperties: {
          MemoryStoreRetentionPeriodInHours: String(props.memoryRetentionHours),
          MagneticStoreRetentionPeriodInDays: String(props.magneticRetentionDays),
        },
        magneticStoreWriteProperties: {
          EnableMagneticStoreWrites: true,
          MagneticStoreRejectedDataLocation: {
            S3Configuration: {
              BucketName: props.rejectedDataBucket.bucketName,
              ObjectKeyPrefix: `timestream-rejected/${tableName}/`,
              EncryptionOption: 'SSE_KMS',
              KmsKeyId: props.encryptionKey.keyArn,
            },
          },
        },
      });
      t.node.addDependency(this.database);
      return t;
    };
    this.telemetryTable = table('TelemetryTable', 'telemetry');
    this.eventsTable = table('EventsTable', 'events');
    // Switching storageBackend drops these from the template: the data stays in the account.
    for (const r of [this.database, this.telemetryTable, this.eventsTable])
      r.applyRemovalPolicy(RemovalPolicy.RETAIN);

    Validations.of(this).acknowledge({
      id: 'CloudFormation-Validate::W3697',
      reason:
        'Timestream for LiveAnalytics is closed to new customers since 2025-06-20 but stays available to existing ones; ' +
        'it is the default backend for them. New accounts choose the InfluxDB backend (storageBackend=timestream-influxdb).',
    });
  }

  /** The table ARN (database/table), built from the stack's partition, region and account. */
  tableArn(table: timestream.CfnTable): string {
    return Stack.of(this).formatArn({
      service: 'timestream',
      resource: 'database',
      resourceName: `${this.databaseName}/table/${table.tableName}`,
    });
  }

  grantWriteTelemetry(fn: ProjectFunction): void {
    this.grantWrite(fn, this.telemetryTable, 'TELEMETRY');
  }

  grantWriteEvents(fn: ProjectFunction): void {
    this.grantWrite(fn, this.eventsTable, 'EVENTS');
  }

  /** Lets `fn` write to a table and tells it where: environment and permission in one call. */
  grantWrite(fn: lambda.Function, table: timestream.CfnTable, envPrefix: string): void {
    fn.addEnvironment('STORAGE_BACKEND', this.backend);
    fn.addEnvironment(`${envPrefix}_DATABASE`, this.databaseName);
    fn.addEnvironment(`${envPrefix}_TABLE`, table.tableName!);
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['timestream:WriteRecords'], resources: [this.tableArn(table)] }),
    );
    this.grantEndpointDiscovery(fn);
  }

  /** Lets `fn` query the store (SELECT on both tables). */
  grantRead(fn: lambda.Function): void {
    fn.addEnvironment('STORAGE_BACKEND', this.backend);
    fn.addEnvironment('TELEMETRY_DATABASE', this.databaseName);
    fn.addEnvironment('TELEMETRY_TABLE', this.telemetryTable.tableName!);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['timestream:Select', 'timestream:DescribeTable'],
        resources: [this.tableArn(this.telemetryTable), this.tableArn(this.eventsTable)],
      }),
    );
    this.grantEndpointDiscovery(fn);
  }

  private grantEndpointDiscovery(fn: lambda.Function): void {
    if (fn.node.tryFindChild('TimestreamEndpointDiscovery')) return;
    const policy = new iam.Policy(fn, 'TimestreamEndpointDiscovery', {
      statements: [new iam.PolicyStatement({ actions: ['timestream:DescribeEndpoints'], resources: ['*'] })],
    });
    fn.role!.attachInlinePolicy(policy);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'timestream:DescribeEndpoints (endpoint discovery, required by the SDK) supports no resource-level permission.',
    });
  }
}
