import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as quicksight from 'aws-cdk-lib/aws-quicksight';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { lakeDatasets } from '../../../core/lake/queries';
import { acknowledge, nagArn } from '../common/nag';
import type { DataLake } from '../storage/data-lake';
import { DATASETS, type DatasetKey, operatorDashboardDefinition } from './dashboard-definition';

/** What the operator may do: view the dashboard, and use its datasets in analyses of their own. */
export const PRINCIPAL_ACTIONS = {
  dataSource: [
    'quicksight:DescribeDataSource',
    'quicksight:DescribeDataSourcePermissions',
    'quicksight:PassDataSource',
  ],
  dataSet: [
    'quicksight:DescribeDataSet',
    'quicksight:DescribeDataSetPermissions',
    'quicksight:PassDataSet',
    'quicksight:DescribeIngestion',
    'quicksight:ListIngestions',
  ],
  dashboard: [
    'quicksight:DescribeDashboard',
    'quicksight:ListDashboardVersions',
    'quicksight:QueryDashboard',
  ],
} as const;

export interface OperatorDashboardProps {
  /** Prefix of ids and names (`aiot-<stage>`). */
  readonly namePrefix: string;
  /** QuickSight user or group ARN given the dashboard. */
  readonly principalArn: string;
  /** The lake the datasets read through its Athena workgroup. */
  readonly lake: DataLake;
  /** Key the lake and the Athena results are encrypted with. */
  readonly encryptionKey: kms.IKey;
  /** Measures charted per device. */
  readonly measures: readonly string[];
  /**
   * QuickSight's service role in this account (created with the subscription); it gets read
   * access to the lake and nothing else. @default aws-quicksight-service-role-v0
   */
  readonly serviceRoleName?: string;
  /** Days of telemetry the dashboard reads. @default 7 */
  readonly telemetryDays?: number;
  /** Days of anomalies, predictions and work orders. @default 30 */
  readonly eventDays?: number;
}

/**
 * The operator view in QuickSight, for every backend: an Athena data source on the lake's
 * workgroup, datasets over the declared Glue tables (telemetry 1-minute rollups, anomalies,
 * predictions, work orders) in direct-query mode, and a dashboard defined as code, shared with
 * one user or group. The datasets name only columns the Glue schema declares, so they create on
 * an empty lake; each waits for the tables and the service role's policy.
 */
export class OperatorDashboard extends Construct {
  public readonly dataSource: quicksight.CfnDataSource;
  public readonly dataSets: Record<DatasetKey, quicksight.CfnDataSet>;
  public readonly dashboard: quicksight.CfnDashboard;

  constructor(scope: Construct, id: string, props: OperatorDashboardProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    const prefix = props.namePrefix;

    this.dataSource = new quicksight.CfnDataSource(this, 'Athena', {
      awsAccountId: account,
      dataSourceId: `${prefix}-lake`,
      name: `${prefix} data lake (Athena)`,
      type: 'ATHENA',
      dataSourceParameters: { athenaParameters: { workGroup: props.lake.workGroup.name } },
      sslProperties: { disableSsl: false },
      permissions: [{ principal: props.principalArn, actions: [...PRINCIPAL_ACTIONS.dataSource] }],
    });

    const queries = lakeDatasets(
      { database: props.lake.databaseName },
      { telemetryDays: props.telemetryDays ?? 7, eventDays: props.eventDays ?? 30, measures: props.measures },
    );
    const dataSets = {} as Record<DatasetKey, quicksight.CfnDataSet>;
    for (const key of Object.keys(DATASETS) as DatasetKey[]) {
      const q = queries[key];
      dataSets[key] = new quicksight.CfnDataSet(this, `DataSet-${DATASETS[key]}`, {
        awsAccountId: account,
        dataSetId: `${prefix}-${DATASETS[key]}`,
        name: `${prefix} ${q.name}`,
        importMode: 'DIRECT_QUERY',
        physicalTableMap: {
          [DATASETS[key]]: {
            customSql: {
              dataSourceArn: this.dataSource.attrArn,
              name: q.name,
              sqlQuery: q.sql,
              columns: q.columns.map((c) => ({ name: c.name, type: c.type })),
            },
          },
        },
        permissions: [{ principal: props.principalArn, actions: [...PRINCIPAL_ACTIONS.dataSet] }],
      });
    }
    this.dataSets = dataSets;

    this.dashboard = new quicksight.CfnDashboard(this, 'Dashboard', {
      awsAccountId: account,
      dashboardId: `${prefix}-operator`,
      name: `${prefix} operator dashboard`,
      versionDescription: 'Fleet health, device trends, anomaly timeline and open work orders',
      definition: operatorDashboardDefinition(
        Object.fromEntries(
          (Object.keys(dataSets) as DatasetKey[]).map((k) => [k, dataSets[k].attrArn]),
        ) as Record<DatasetKey, string>,
      ),
      permissions: [{ principal: props.principalArn, actions: [...PRINCIPAL_ACTIONS.dashboard] }],
      dashboardPublishOptions: {
        adHocFilteringOption: { availabilityStatus: 'ENABLED' },
        exportToCsvOption: { availabilityStatus: 'ENABLED' },
        sheetControlsOption: { visibilityState: 'EXPANDED' },
      },
    });

    // QuickSight queries Athena as its service role: the workgroup, the catalog entries and the
    // lake's objects, the result bucket, the key — nothing else
    // (https://docs.aws.amazon.com/quicksight/latest/user/athena.html).
    const stack = Stack.of(this);
    const lake = props.lake;
    const serviceRole = iam.Role.fromRoleName(
      this,
      'QuickSightServiceRole',
      props.serviceRoleName ?? 'aws-quicksight-service-role-v0',
    );
    const access = new iam.Policy(this, 'ServiceRoleAccess', {
      roles: [serviceRole],
      statements: [
        new iam.PolicyStatement({
          actions: [
            'athena:StartQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:StopQueryExecution',
            'athena:GetWorkGroup',
          ],
          resources: [
            stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: lake.workGroup.name }),
          ],
        }),
        new iam.PolicyStatement({
          actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
          resources: [
            stack.formatArn({ service: 'glue', resource: 'catalog' }),
            stack.formatArn({ service: 'glue', resource: 'database', resourceName: lake.databaseName }),
            stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${lake.databaseName}/*` }),
          ],
        }),
        new iam.PolicyStatement({
          actions: ['s3:GetObject', 's3:ListBucket', 's3:GetBucketLocation'],
          resources: [lake.bucket.bucketArn, lake.bucket.arnForObjects('*')],
        }),
        new iam.PolicyStatement({
          actions: [
            's3:GetObject',
            's3:PutObject',
            's3:ListBucket',
            's3:GetBucketLocation',
            's3:AbortMultipartUpload',
          ],
          resources: [lake.resultsBucket.bucketArn, lake.resultsBucket.arnForObjects('*')],
        }),
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [props.encryptionKey.keyArn],
        }),
      ],
    });
    const ref = (b: s3.IBucket) => stack.getLogicalId(b.node.defaultChild as s3.CfnBucket);
    acknowledge(
      access,
      `IAM5[Resource::<${ref(lake.bucket)}.Arn>/*]`,
      'Athena reads the lake objects for QuickSight.',
    );
    acknowledge(
      access,
      `IAM5[Resource::<${ref(lake.resultsBucket)}.Arn>/*]`,
      'Athena writes query results under generated keys.',
    );
    acknowledge(
      access,
      `IAM5[Resource::${nagArn(this, 'glue', `table/${lake.databaseName}/*`)}]`,
      'The tables of the lake database only.',
    );
    // A dataset is checked against its tables when it is created: the tables and the role's
    // access must exist first.
    for (const ds of Object.values(dataSets)) {
      ds.node.addDependency(access);
      for (const t of Object.values(lake.tables)) ds.addResourceDependency(t);
    }
  }
}
