import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as quicksight from 'aws-cdk-lib/aws-quicksight';
import { Construct } from 'constructs';
import { acknowledge } from '../common/nag';
import type { TimestreamStore } from '../storage/timestream-store';
import { DATASETS, type DatasetKey, operatorDashboardDefinition } from './dashboard-definition';
import { operatorDatasets } from './datasets';

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
  readonly store: TimestreamStore;
  /** Key the store is encrypted with (QuickSight decrypts query results with it). */
  readonly encryptionKey: kms.IKey;
  /** Measures charted per device. */
  readonly measures: readonly string[];
  /**
   * QuickSight's service role in this account (created with the subscription); it gets read
   * access to the store and nothing else. @default aws-quicksight-service-role-v0
   */
  readonly serviceRoleName?: string;
  /** Days of telemetry the dashboard reads. @default 7 */
  readonly telemetryDays?: number;
  /** Days of anomalies, predictions and work orders. @default 30 */
  readonly eventDays?: number;
}

/**
 * The operator view in QuickSight: a Timestream data source, datasets (telemetry 1-minute
 * rollups, anomalies, predictions, work orders) in direct-query mode, and a dashboard defined as
 * code, shared with one user or group. QuickSight's service role may SELECT the store's tables.
 */
export class OperatorDashboard extends Construct {
  public readonly dataSource: quicksight.CfnDataSource;
  public readonly dataSets: Record<DatasetKey, quicksight.CfnDataSet>;
  public readonly dashboard: quicksight.CfnDashboard;

  constructor(scope: Construct, id: string, props: OperatorDashboardProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    const prefix = props.namePrefix;

    this.dataSource = new quicksight.CfnDataSource(this, 'Timestream', {
      awsAccountId: account,
      dataSourceId: `${prefix}-timestream`,
      name: `${prefix} time-series store`,
      type: 'TIMESTREAM',
      sslProperties: { disableSsl: false },
      permissions: [{ principal: props.principalArn, actions: [...PRINCIPAL_ACTIONS.dataSource] }],
    });

    const queries = operatorDatasets({
      database: props.store.databaseName,
      telemetryTable: props.store.telemetryTable.tableName!,
      eventsTable: props.store.eventsTable.tableName!,
      measures: props.measures,
      telemetryDays: props.telemetryDays ?? 7,
      eventDays: props.eventDays ?? 30,
    });
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

    // QuickSight queries Timestream as its service role: SELECT on the two tables, the key to
    // read them, endpoint discovery — nothing else.
    const serviceRole = iam.Role.fromRoleName(
      this,
      'QuickSightServiceRole',
      props.serviceRoleName ?? 'aws-quicksight-service-role-v0',
    );
    const access = new iam.Policy(this, 'ServiceRoleAccess', {
      roles: [serviceRole],
      statements: [
        new iam.PolicyStatement({
          actions: ['timestream:Select', 'timestream:DescribeTable'],
          resources: [
            props.store.tableArn(props.store.telemetryTable),
            props.store.tableArn(props.store.eventsTable),
          ],
        }),
        new iam.PolicyStatement({ actions: ['timestream:DescribeEndpoints'], resources: ['*'] }),
        new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.encryptionKey.keyArn] }),
      ],
    });
    acknowledge(
      access,
      'IAM5[Resource::*]',
      'timestream:DescribeEndpoints (endpoint discovery, required to query) supports no resource-level permission.',
    );
  }
}
