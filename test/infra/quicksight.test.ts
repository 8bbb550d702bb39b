import { Match } from 'aws-cdk-lib/assertions';
import { EVENTS, READINGS } from '../../core/lake/schema';
import { OPEN_STATUSES } from '../../lib/constructs/operator/dashboard-definition';
import { PRINCIPAL_ACTIONS } from '../../lib/constructs/operator/operator-dashboard';
import { type BuiltStack, buildStack } from '../fixtures/stack';

const PRINCIPAL = 'arn:aws:quicksight:eu-west-1:123456789012:group/default/operators';

describe('OperatorDashboard', () => {
  let plain: BuiltStack;
  let withQuickSight: BuiltStack;
  let liveAnalytics: BuiltStack;
  beforeAll(() => {
    plain = buildStack();
    withQuickSight = buildStack({ quicksightPrincipalArn: PRINCIPAL }, { nag: true });
    liveAnalytics = buildStack({
      quicksightPrincipalArn: PRINCIPAL,
      storageBackend: 'timestream-liveanalytics',
    });
  });

  type DataSet = {
    Properties: {
      ImportMode: string;
      PhysicalTableMap: Record<string, { CustomSql: { SqlQuery: string; Columns: { Name: string }[] } }>;
    };
    DependsOn?: string[];
  };
  const dataSets = (b: BuiltStack) =>
    Object.values(b.template().findResources('AWS::QuickSight::DataSet')) as DataSet[];

  it('when quicksightPrincipalArn is not set, the stack has no QuickSight resource and no mirror', () => {
    const resources = plain.template().toJSON().Resources as Record<string, { Type: string }>;
    expect(Object.values(resources).filter((r) => r.Type.startsWith('AWS::QuickSight::'))).toEqual([]);
    expect(JSON.stringify(resources)).not.toContain('operator dashboard');
  });

  it('when it is set, the stack synthesizes with cdk-nag and CloudFormation validation', () => {
    expect(() => withQuickSight.app.synth()).not.toThrow();
  });

  it.each([
    ['InfluxDB', () => withQuickSight],
    ['LiveAnalytics', () => liveAnalytics],
  ])(
    'when it is set (%s backend), an Athena data source on the lake workgroup over SSL is shared with the principal',
    (_, b) => {
      b()
        .template()
        .hasResourceProperties('AWS::QuickSight::DataSource', {
          Type: 'ATHENA',
          DataSourceParameters: { AthenaParameters: { WorkGroup: 'aiot-dev' } },
          SslProperties: { DisableSsl: false },
          Permissions: [{ Principal: PRINCIPAL, Actions: [...PRINCIPAL_ACTIONS.dataSource] }],
        });
      const resources = b().template().toJSON().Resources as Record<string, { Type: string }>;
      expect(JSON.stringify(resources)).not.toContain('"TIMESTREAM"');
    },
  );

  it('when it is set, four direct-query datasets read the lake: 1-minute rollups, anomalies, predictions, work orders', () => {
    const sets = dataSets(withQuickSight);
    expect(sets).toHaveLength(4);
    const sql = Object.fromEntries(
      sets.map((s) => {
        const [key, table] = Object.entries(s.Properties.PhysicalTableMap)[0]!;
        expect(s.Properties.ImportMode).toBe('DIRECT_QUERY');
        return [key, table.CustomSql.SqlQuery];
      }),
    );
    expect(Object.keys(sql).sort()).toEqual(['anomalies', 'predictions', 'telemetry', 'work-orders']);
    expect(sql.telemetry).toContain(`date_trunc('minute', ts)`);
    expect(sql.telemetry).toContain(
      `measure IN ('vibration_rms', 'bearing_temp_c', 'motor_current_a', 'pressure_kpa')`,
    );
    expect(sql.telemetry).toContain('FROM "aiot_dev"."readings"');
    expect(sql.anomalies).toContain(`FROM "aiot_dev"."events" WHERE kind = 'anomaly'`);
    expect(sql.predictions).toContain(`kind = 'prediction'`);
    expect(sql['work-orders']).toContain(`kind = 'work_order'`);
    withQuickSight.template().hasResourceProperties('AWS::QuickSight::DataSet', {
      Permissions: [{ Principal: PRINCIPAL, Actions: [...PRINCIPAL_ACTIONS.dataSet] }],
    });
  });

  it('when it is set, no dataset names a column the Glue schema lacks', () => {
    // Identifiers of each statement, less SQL words, functions, output aliases and the table names,
    // must all be columns the lake declares (or its partition) — a dataset naming anything else
    // would fail at creation, as Timestream's did on columns not yet written.
    const SQL_WORDS = new Set(
      'select from where and group by as in avg min max count max_by date_trunc minute cast current_date interval day date varchar'.split(
        ' ',
      ),
    );
    const declared = new Set([...READINGS.columns, ...EVENTS.columns].map((c) => c.name).concat('dt'));
    for (const set of dataSets(withQuickSight)) {
      const table = Object.values(set.Properties.PhysicalTableMap)[0]!.CustomSql;
      const aliases = new Set(table.Columns.map((c) => c.Name));
      const identifiers = table.SqlQuery.replace(/'[^']*'/g, ' ')
        .replace(/"[^"]*"\."[^"]*"/g, ' ')
        .toLowerCase()
        .match(/[a-z_][a-z0-9_]*/g)!;
      const unknown = identifiers.filter((w) => !SQL_WORDS.has(w) && !declared.has(w) && !aliases.has(w));
      expect(unknown).toEqual([]);
      for (const c of table.Columns) {
        // Every output column is a declared one or an alias the statement defines (… AS c).
        expect(declared.has(c.Name) || table.SqlQuery.includes(` AS ${c.Name}`)).toBe(true);
      }
    }
  });

  it('when it is set, each dataset waits for the lake tables and the service role policy', () => {
    const t = withQuickSight.template().toJSON().Resources as Record<string, { Type: string }>;
    const tables = Object.entries(t)
      .filter(([, r]) => r.Type === 'AWS::Glue::Table')
      .map(([id]) => id);
    const policy = Object.entries(t).find(
      ([id, r]) => r.Type === 'AWS::IAM::Policy' && id.includes('ServiceRoleAccess'),
    )![0];
    for (const set of dataSets(withQuickSight)) {
      expect(set.DependsOn).toEqual(expect.arrayContaining([...tables, policy]));
    }
  });

  it('when it is set, the dashboard is a definition with fleet health, device trends, anomaly timeline and open work orders', () => {
    const t = withQuickSight.template();
    const [dashboard] = Object.values(t.findResources('AWS::QuickSight::Dashboard')) as {
      Properties: { Definition: Record<string, unknown>; SourceEntity?: unknown; Permissions: unknown };
    }[];
    expect(dashboard!.Properties.SourceEntity).toBeUndefined();
    expect(dashboard!.Properties.Permissions).toEqual([
      { Principal: PRINCIPAL, Actions: [...PRINCIPAL_ACTIONS.dashboard] },
    ]);
    const def = dashboard!.Properties.Definition as {
      Sheets: { Name: string; Visuals: Record<string, { VisualId: string }>[] }[];
      DataSetIdentifierDeclarations: { Identifier: string; DataSetArn: unknown }[];
      FilterGroups: unknown[];
    };
    expect(def.Sheets.map((s) => s.Name)).toEqual(['Fleet health', 'Device trends', 'Anomaly timeline']);
    const visuals = def.Sheets.flatMap((s) => s.Visuals.map((v) => Object.values(v)[0]!.VisualId));
    expect(visuals).toEqual(
      expect.arrayContaining([
        'devices-reporting',
        'anomalies-by-device',
        'open-work-orders',
        'device-trends',
        'anomaly-timeline',
      ]),
    );
    expect(def.DataSetIdentifierDeclarations.map((d) => d.Identifier).sort()).toEqual([
      'anomalies',
      'predictions',
      'telemetry',
      'work-orders',
    ]);
    expect(JSON.stringify(def.FilterGroups)).toContain(JSON.stringify([...OPEN_STATUSES]));
  });

  it('when it is set, QuickSight’s service role may only query the lake workgroup, read its catalog and objects, use the result bucket and the key', () => {
    withQuickSight.template().hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['aws-quicksight-service-role-v0'],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: Match.arrayWith(['athena:StartQueryExecution', 'athena:GetQueryResults']),
          }),
          Match.objectLike({ Action: Match.arrayWith(['glue:GetTable']) }),
          Match.objectLike({ Action: ['s3:GetObject', 's3:ListBucket', 's3:GetBucketLocation'] }),
          Match.objectLike({ Action: Match.arrayWith(['s3:PutObject']) }),
          Match.objectLike({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'] }),
        ],
      },
    });
    const text = JSON.stringify(withQuickSight.template().toJSON());
    expect(text).not.toContain('timestream:Select');
  });

  it('when it is set, work orders are mirrored into the lake events stream on a schedule', () => {
    const t = withQuickSight.template();
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Mirrors recently changed work orders'),
      Environment: {
        Variables: Match.objectLike({
          LAKE_EVENTS_STREAM: { Ref: Match.stringLikeRegexp('^LakeDeliveryevents') },
          WORK_ORDERS_TABLE: Match.anyValue(),
        }),
      },
    });
  });
});
