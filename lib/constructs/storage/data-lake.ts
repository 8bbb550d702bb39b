import { Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { LAKE_TABLES, type LakeTable, PARTITION_KEY, PARTITION_START } from '../../../core/lake/schema';
import { acknowledge, REASONS } from '../common/nag';
import type { ProjectFunction } from '../common/project-function';
import { SecureBucket } from '../common/secure-bucket';

export interface DataLakeProps {
  /** Prefix of resource names (`aiot-<stage>`). */
  readonly namePrefix: string;
  readonly encryptionKey: kms.IKey;
  readonly accessLogsBucket: s3.IBucket;
  /** Days Athena query results are kept. @default 30 */
  readonly resultRetentionDays?: number;
  /** Seconds Firehose buffers before it writes a file (60–900). @default 300 */
  readonly bufferSeconds?: number;
}

/** Where Firehose writes a table's objects: the partition comes from each record's `dt`. */
export function firehosePrefix(table: LakeTable['name']): string {
  return `${table}/${PARTITION_KEY}=!{partitionKeyFromQuery:${PARTITION_KEY}}/`;
}

/** Where Athena's partition projection looks for a table's partition. */
export function projectionTemplate(bucketName: string, table: LakeTable['name']): string {
  return `s3://${bucketName}/${table}/${PARTITION_KEY}=\${${PARTITION_KEY}}/`;
}

/**
 * The data lake, whatever the hot store: a KMS-encrypted bucket of Parquet files partitioned by
 * date (`<table>/dt=YYYY-MM-DD/`), a Glue database with the declared tables of
 * `core/lake/schema.ts` (partition projection, so no crawler and no partition to add), an Athena
 * workgroup whose results are encrypted in their own bucket, and one Firehose delivery stream per
 * table converting the functions' JSON rows to Parquet against the Glue schema, partitioned by
 * each row's `dt` (dynamic partitioning). It costs nothing at rest but the bytes stored.
 */
export class DataLake extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly resultsBucket: s3.Bucket;
  public readonly database: glue.CfnDatabase;
  public readonly databaseName: string;
  public readonly tables: Record<LakeTable['name'], glue.CfnTable>;
  public readonly workGroup: athena.CfnWorkGroup;
  public readonly streams: Record<LakeTable['name'], firehose.CfnDeliveryStream>;

  constructor(scope: Construct, id: string, props: DataLakeProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.bucket = new SecureBucket(this, 'Lake', {
      encryptionKey: props.encryptionKey,
      accessLogsBucket: props.accessLogsBucket,
    }).bucket;
    this.resultsBucket = new SecureBucket(this, 'AthenaResults', {
      encryptionKey: props.encryptionKey,
      accessLogsBucket: props.accessLogsBucket,
      expireAfterDays: props.resultRetentionDays ?? 30,
    }).bucket;

    this.databaseName = props.namePrefix.replace(/-/g, '_');
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: {
        name: this.databaseName,
        description: 'aiot data lake: readings and events, Parquet by date',
      },
    });

    const tables = {} as Record<LakeTable['name'], glue.CfnTable>;
    for (const table of LAKE_TABLES) {
      const t = new glue.CfnTable(this, `Table-${table.name}`, {
        catalogId: stack.account,
        databaseName: this.databaseName,
        tableInput: {
          name: table.name,
          tableType: 'EXTERNAL_TABLE',
          partitionKeys: [{ name: PARTITION_KEY, type: 'string', comment: 'UTC date, yyyy-MM-dd' }],
          // Partition projection: Athena computes the partitions from the date range and the
          // template, so new days need no crawler or ALTER TABLE
          // (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html).
          parameters: {
            classification: 'parquet',
            'projection.enabled': 'true',
            [`projection.${PARTITION_KEY}.type`]: 'date',
            [`projection.${PARTITION_KEY}.format`]: 'yyyy-MM-dd',
            [`projection.${PARTITION_KEY}.range`]: `${PARTITION_START},NOW`,
            [`projection.${PARTITION_KEY}.interval`]: '1',
            [`projection.${PARTITION_KEY}.interval.unit`]: 'DAYS',
            'storage.location.template': projectionTemplate(this.bucket.bucketName, table.name),
          },
          storageDescriptor: {
            location: `s3://${this.bucket.bucketName}/${table.name}/`,
            columns: table.columns.map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
            inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
            serdeInfo: {
              serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
            },
          },
        },
      });
      t.addResourceDependency(this.database);
      tables[table.name] = t;
    }
    this.tables = tables;

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: props.namePrefix,
      description: 'aiot: the lake for QuickSight and retraining',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.encryptionKey.keyArn },
        },
      },
    });

    const errors = new logs.LogGroup(this, 'DeliveryErrors', { retention: logs.RetentionDays.ONE_MONTH });
    const role = new iam.Role(this, 'DeliveryRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Firehose: Parquet conversion against the lake tables, delivery to the lake bucket',
    });
    this.bucket.grantReadWrite(role);
    errors.grantWrite(role);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
        resources: this.catalogArns(),
      }),
    );
    acknowledge(role, 'IAM5[Action::s3:Abort*]', REASONS.s3Grant);
    acknowledge(
      role,
      'IAM5[Action::s3:DeleteObject*]',
      'CDK read-write grant on the lake bucket only (Firehose retries overwrite its own objects).',
    );
    acknowledge(role, 'IAM5[Action::s3:GetBucket*]', 'CDK read-write grant on the lake bucket only.');
    acknowledge(role, 'IAM5[Action::s3:GetObject*]', 'CDK read-write grant on the lake bucket only.');
    acknowledge(role, 'IAM5[Action::s3:List*]', 'CDK read-write grant on the lake bucket only.');
    acknowledge(role, 'IAM5[Action::kms:GenerateDataKey*]', REASONS.kmsGrant);
    acknowledge(role, 'IAM5[Action::kms:ReEncrypt*]', REASONS.kmsGrant);
    acknowledge(
      role,
      `IAM5[Resource::<${stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`,
      'Firehose writes objects under generated keys in the lake bucket.',
    );
    acknowledge(
      role,
      `IAM5[Resource::<${stack.getLogicalId(errors.node.defaultChild as logs.CfnLogGroup)}.Arn>:*]`,
      "CDK log grant: Firehose's error log streams in this one group.",
    );

    const streams = {} as Record<LakeTable['name'], firehose.CfnDeliveryStream>;
    for (const table of LAKE_TABLES) {
      const stream = new firehose.CfnDeliveryStream(this, `Delivery-${table.name}`, {
        deliveryStreamName: `${props.namePrefix}-lake-${table.name}`,
        deliveryStreamType: 'DirectPut',
        deliveryStreamEncryptionConfigurationInput: {
          keyType: 'CUSTOMER_MANAGED_CMK',
          keyArn: props.encryptionKey.keyArn,
        },
        extendedS3DestinationConfiguration: {
          bucketArn: this.bucket.bucketArn,
          roleArn: role.roleArn,
          prefix: firehosePrefix(table.name),
          errorOutputPrefix: `errors/${table.name}/!{firehose:error-output-type}/!{timestamp:yyyy-MM-dd}/`,
          // Dynamic partitioning takes at least 64 MiB of buffer
          // (https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning.html).
          bufferingHints: { sizeInMBs: 64, intervalInSeconds: props.bufferSeconds ?? 300 },
          compressionFormat: 'UNCOMPRESSED',
          encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: props.encryptionKey.keyArn } },
          cloudWatchLoggingOptions: {
            enabled: true,
            logGroupName: errors.logGroupName,
            logStreamName: table.name,
          },
          dynamicPartitioningConfiguration: { enabled: true, retryOptions: { durationInSeconds: 300 } },
          processingConfiguration: {
            enabled: true,
            processors: [
              {
                type: 'MetadataExtraction',
                parameters: [
                  {
                    parameterName: 'MetadataExtractionQuery',
                    parameterValue: `{${PARTITION_KEY}:.${PARTITION_KEY}}`,
                  },
                  { parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' },
                ],
              },
            ],
          },
          dataFormatConversionConfiguration: {
            enabled: true,
            inputFormatConfiguration: { deserializer: { openXJsonSerDe: {} } },
            outputFormatConfiguration: { serializer: { parquetSerDe: { compression: 'SNAPPY' } } },
            schemaConfiguration: {
              catalogId: stack.account,
              databaseName: this.databaseName,
              tableName: table.name,
              region: stack.region,
              roleArn: role.roleArn,
              versionId: 'LATEST',
            },
          },
        },
      });
      stream.node.addDependency(role);
      stream.addResourceDependency(tables[table.name]);
      streams[table.name] = stream;
    }
    this.streams = streams;
  }

  /**
   * Lets `fn` query the lake through the workgroup (and UNLOAD into `unloadBucket` under
   * `unloadPrefix/`, when given): Athena runs as the caller, so the caller needs the catalog,
   * the lake's objects, the result bucket and the key
   * (https://docs.aws.amazon.com/athena/latest/ug/security-iam-athena.html).
   */
  grantQuery(fn: ProjectFunction, unloadBucket?: s3.IBucket, unloadPrefix?: string): void {
    const stack = Stack.of(this);
    fn.addEnvironment('ATHENA_WORKGROUP', this.workGroup.name);
    fn.addEnvironment('LAKE_DATABASE', this.databaseName);
    fn.addEnvironment('LAKE_READINGS_TABLE', 'readings');
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults'],
        resources: [
          stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroup.name }),
        ],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
        resources: this.catalogArns(),
      }),
    );
    this.bucket.grantRead(fn);
    this.resultsBucket.grantReadWrite(fn);
    if (unloadBucket && unloadPrefix) {
      unloadBucket.grantReadWrite(fn, `${unloadPrefix}/*`);
    }
    const role = fn.role!;
    for (const rule of [
      'IAM5[Action::s3:GetObject*]',
      'IAM5[Action::s3:GetBucket*]',
      'IAM5[Action::s3:List*]',
      'IAM5[Action::s3:DeleteObject*]',
      'IAM5[Action::s3:Abort*]',
      'IAM5[Action::kms:GenerateDataKey*]',
      'IAM5[Action::kms:ReEncrypt*]',
    ]) {
      acknowledge(
        role,
        rule,
        'CDK grants on the lake, its Athena result bucket and the training prefix, and the project key only.',
      );
    }
    for (const bucket of [this.bucket, this.resultsBucket, ...(unloadBucket ? [unloadBucket] : [])]) {
      const ref = stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
      const prefix = bucket === unloadBucket ? `${unloadPrefix}/*` : '*';
      acknowledge(
        role,
        `IAM5[Resource::<${ref}.Arn>/${prefix}]`,
        'Athena reads the lake and writes results and UNLOAD files under generated keys.',
      );
    }
  }

  /** Lets `fn` send rows of a table to the lake and tells it the stream: environment and permission together. */
  grantDeliver(fn: ProjectFunction, table: LakeTable['name']): void {
    const stream = this.streams[table];
    fn.addEnvironment(`LAKE_${table.toUpperCase()}_STREAM`, stream.ref);
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['firehose:PutRecordBatch'], resources: [stream.attrArn] }),
    );
  }

  /** The Glue catalog, the lake's database and its tables: what reading the lake's schema needs. */
  private catalogArns(): string[] {
    const stack = Stack.of(this);
    return [
      stack.formatArn({ service: 'glue', resource: 'catalog' }),
      stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }),
      ...LAKE_TABLES.map((t) =>
        stack.formatArn({
          service: 'glue',
          resource: 'table',
          resourceName: `${this.databaseName}/${t.name}`,
        }),
      ),
    ];
  }
}
