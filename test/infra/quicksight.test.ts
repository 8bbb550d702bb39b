import { Match } from 'aws-cdk-lib/assertions';
import { OPEN_STATUSES } from '../../lib/constructs/operator/dashboard-definition';
import { PRINCIPAL_ACTIONS } from '../../lib/constructs/operator/operator-dashboard';
import { type BuiltStack, buildStack } from '../fixtures/stack';

const PRINCIPAL = 'arn:aws:quicksight:eu-west-1:123456789012:group/default/operators';

describe('OperatorDashboard', () => {
  let plain: BuiltStack;
  let withQuickSight: BuiltStack;
  beforeAll(() => {
    plain = buildStack();
    withQuickSight = buildStack({ quicksightPrincipalArn: PRINCIPAL }, { nag: true });
  });

  it('when quicksightPrincipalArn is not set, the stack has no QuickSight resource and no mirror', () => {
    const resources = plain.template().toJSON().Resources as Record<string, { Type: string }>;
    expect(Object.values(resources).filter((r) => r.Type.startsWith('AWS::QuickSight::'))).toEqual([]);
    expect(JSON.stringify(resources)).not.toContain('operator dashboard');
  });

  it('when it is set, the stack synthesizes with cdk-nag and CloudFormation validation', () => {
    expect(() => withQuickSight.app.synth()).not.toThrow();
  });

  it('when it is set, a Timestream data source over SSL is shared with the principal', () => {
    withQuickSight.template().hasResourceProperties('AWS::QuickSight::DataSource', {
      Type: 'TIMESTREAM',
      SslProperties: { DisableSsl: false },
      Permissions: [{ Principal: PRINCIPAL, Actions: [...PRINCIPAL_ACTIONS.dataSource] }],
    });
  });

  it('when it is set, four direct-query datasets read the store: 1-minute rollups, anomalies, predictions, work orders', () => {
    const sets = Object.values(withQuickSight.template().findResources('AWS::QuickSight::DataSet')) as {
      Properties: {
        ImportMode: string;
        PhysicalTableMap: Record<string, { CustomSql: { SqlQuery: string } }>;
      };
    }[];
    expect(sets).toHaveLength(4);
    const sql = Object.fromEntries(
      sets.map((s) => {
        const [key, table] = Object.entries(s.Properties.PhysicalTableMap)[0]!;
        expect(s.Properties.ImportMode).toBe('DIRECT_QUERY');
        return [key, table.CustomSql.SqlQuery];
      }),
    );
    expect(Object.keys(sql).sort()).toEqual(['anomalies', 'predictions', 'telemetry', 'work-orders']);
    expect(sql.telemetry).toContain('bin(time, 1m)');
    expect(sql.telemetry).toContain('avg("bearing_temp_c")');
    expect(sql.telemetry!.split('UNION ALL')).toHaveLength(4);
    expect(sql.telemetry).toContain('FROM "aiot-dev"."telemetry"');
    expect(sql.anomalies).toContain(`FROM "aiot-dev"."events" WHERE measure_name = 'anomaly'`);
    expect(sql.predictions).toContain(`measure_name = 'prediction'`);
    expect(sql['work-orders']).toContain(`measure_name = 'work_order'`);
    withQuickSight.template().hasResourceProperties('AWS::QuickSight::DataSet', {
      Permissions: [{ Principal: PRINCIPAL, Actions: [...PRINCIPAL_ACTIONS.dataSet] }],
    });
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

  it('when it is set, QuickSight’s service role may only SELECT the two tables, discover endpoints and decrypt', () => {
    withQuickSight.template().hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['aws-quicksight-service-role-v0'],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['timestream:Select', 'timestream:DescribeTable'],
            Resource: [Match.anyValue(), Match.anyValue()],
          }),
          Match.objectLike({ Action: 'timestream:DescribeEndpoints', Resource: '*' }),
          Match.objectLike({ Action: 'kms:Decrypt' }),
        ],
      },
    });
  });

  it('when it is set, work orders are mirrored into the events table on a schedule', () => {
    const t = withQuickSight.template();
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Mirrors recently changed work orders'),
      Environment: {
        Variables: Match.objectLike({ EVENTS_TABLE: 'events', WORK_ORDERS_TABLE: Match.anyValue() }),
      },
    });
  });
});
