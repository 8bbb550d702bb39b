import { Match } from 'aws-cdk-lib/assertions';
import { ProjectFunction } from '../../lib/constructs/common/project-function';
import { type BuiltStack, buildStack } from '../fixtures/stack';

type Resource = { Properties: Record<string, unknown> };

describe('Operations', () => {
  let built: BuiltStack;
  let withEmail: BuiltStack;
  let alarms: Resource[];
  beforeAll(() => {
    built = buildStack();
    withEmail = buildStack({ alarmEmail: 'ops@example.com' });
    alarms = Object.values(built.template().findResources('AWS::CloudWatch::Alarm')) as Resource[];
  });

  const alarmOn = (metricName: string) =>
    alarms.filter(
      (a) =>
        a.Properties.MetricName === metricName ||
        JSON.stringify(a.Properties.Metrics ?? []).includes(`"MetricName":"${metricName}"`),
    );

  it('when an alarm fires or recovers, it notifies the encrypted operations topic', () => {
    const t = built.template();
    const topics = t.findResources('AWS::SNS::Topic', {
      Properties: { DisplayName: 'aiot-dev operations alarms' },
    });
    const [topicId] = Object.keys(topics);
    expect(topics[topicId!]!.Properties.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'],
    });
    expect(alarms.length).toBeGreaterThan(10);
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: topicId }]);
      expect(a.Properties.TreatMissingData).toBe('notBreaching');
    }
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it('when alarmEmail is set, the topic has an e-mail subscription; without it, none', () => {
    withEmail.template().hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: Match.stringLikeRegexp('^OperationsAlarmTopic') },
    });
    const subs = built.template().findResources('AWS::SNS::Subscription');
    expect(Object.keys(subs)).toHaveLength(0);
  });

  it('when the stream falls behind, the dead-letter queue fills or quarantine grows, an alarm fires', () => {
    expect(alarmOn('GetRecords.IteratorAgeMilliseconds')).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          Threshold: 300_000,
          EvaluationPeriods: 3,
          Statistic: 'Maximum',
        }),
      }),
    ]);
    expect(alarmOn('ApproximateNumberOfMessagesVisible')).toEqual([
      expect.objectContaining({ Properties: expect.objectContaining({ Threshold: 0 }) }),
    ]);
    expect(alarmOn('MessagesQuarantined')).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          Namespace: 'aiot',
          Dimensions: [{ Name: 'service', Value: 'stream-processor' }],
          Threshold: 10,
        }),
      }),
    ]);
  });

  it('when any function of the stack errs or is throttled, an alarm fires', () => {
    const functions = built.stack.node.findAll().filter((c) => c instanceof ProjectFunction);
    expect(alarmOn('Errors')).toHaveLength(functions.length);
    expect(alarmOn('Throttles')).toHaveLength(functions.length);
    expect(functions.length).toBeGreaterThanOrEqual(6);
  });

  it('when a topic rule action fails over to its error action or is throttled, an alarm fires per rule', () => {
    const failures = alarmOn('Failure');
    expect(failures).toHaveLength(3);
    const telemetry = failures.find((a) => JSON.stringify(a).includes('aiot_dev_telemetry'))!;
    const metrics = JSON.stringify(telemetry.Properties.Metrics);
    expect(metrics).toContain('{"Name":"ActionType","Value":"Kinesis"}');
    expect(metrics).toContain('"MetricName":"RuleMessageThrottled"');
    expect(metrics).toContain('"MetricName":"ErrorActionFailure"');
    expect(metrics).toContain('{"Name":"ActionType","Value":"S3"}');
  });

  it('when a workflow fails, times out or is aborted, or the API answers 5xx, an alarm fires', () => {
    expect(alarmOn('ExecutionsFailed')).toHaveLength(2);
    expect(JSON.stringify(alarmOn('ExecutionsFailed')[0])).toContain('ExecutionsTimedOut');
    expect(alarmOn('5xx')).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({ Namespace: 'AWS/ApiGateway', Threshold: 5 }),
      }),
    ]);
  });

  it('when the scoring endpoint errs or is slow, an alarm fires', () => {
    const errors = alarmOn('Invocation5XXErrors');
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors[0])).toContain('{"Name":"EndpointName","Value":"aiot-dev-detector"}');
    expect(alarmOn('ModelLatency')).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          Namespace: 'AWS/SageMaker',
          ExtendedStatistic: 'p90',
          Threshold: 1_000_000,
        }),
      }),
    ]);
  });

  it('when deployed, the dashboard shows alarms and the pipeline', () => {
    const dashboards = built.template().findResources('AWS::CloudWatch::Dashboard');
    const [dashboard] = Object.values(dashboards) as Resource[];
    expect(dashboard!.Properties.DashboardName).toBe('aiot-dev-operations');
    const body = JSON.stringify(dashboard!.Properties.DashboardBody);
    for (const title of [
      'Alarms',
      'Telemetry stream: iterator age',
      'Dead-letter queue depth',
      'Lambda errors',
    ]) {
      expect(body).toContain(title);
    }
  });
});
