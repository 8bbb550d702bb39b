import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as iot from 'aws-cdk-lib/aws-iot';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PIPELINE_METRICS } from '../../../lambda/stream-processor/env';

/** IoT's `ActionType` metric dimension for an action key of a topic rule payload. */
const ACTION_TYPES: Readonly<Record<string, string>> = {
  s3: 'S3',
  sqs: 'SQS',
  sns: 'SNS',
  dynamoDBv2: 'DynamoDBv2',
};

/** The metric names of a rule's actions, read from its own definition so they cannot drift. */
export function ruleActionTypes(rule: iot.CfnTopicRule): { actions: string[]; errorAction?: string } {
  const payload = rule.topicRulePayload as iot.CfnTopicRule.TopicRulePayloadProperty;
  const typeOf = (action: object) => {
    const key = Object.keys(action).find((k) => (action as Record<string, unknown>)[k] !== undefined)!;
    return ACTION_TYPES[key] ?? key.charAt(0).toUpperCase() + key.slice(1);
  };
  const actions = ((payload.actions ?? []) as object[]).map(typeOf);
  const errorAction = payload.errorAction ? typeOf(payload.errorAction as object) : undefined;
  return { actions, ...(errorAction ? { errorAction } : {}) };
}

export interface MonitoredEndpoint {
  readonly endpointName: string;
  /** @default AllTraffic */
  readonly variantName?: string;
}

export interface OperationsProps {
  /** Prefix of names (`aiot-<stage>`). */
  readonly namePrefix: string;
  /** Key the alarm topic is encrypted with (CloudWatch is allowed to use it). */
  readonly encryptionKey: kms.IKey;
  /** Who gets the alarms by e-mail. @default no subscription */
  readonly alarmEmail?: string;
  readonly telemetryStream: kinesis.IStream;
  /** Dead-letter queues by name: any message in one is data waiting for a person. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /** Functions whose errors and throttles raise alarms. */
  readonly functions: readonly lambda.IFunction[];
  /** Topic rules whose action failures (error action invoked) and throttling raise alarms. */
  readonly rules: readonly iot.CfnTopicRule[];
  /** Workflows whose failed or timed-out executions raise alarms. @default none */
  readonly stateMachines?: Readonly<Record<string, sfn.IStateMachine>>;
  /** The SageMaker scoring endpoint, once deployed. @default none */
  readonly endpoint?: MonitoredEndpoint;
  /** The query API. @default none */
  readonly api?: apigw.IHttpApi;
  /** How far the stream processor may fall behind before it alarms. @default 5 minutes */
  readonly maxIteratorAge?: Duration;
  /** Quarantined messages in 5 minutes that raise an alarm (devices do send bad data). @default 10 */
  readonly quarantineThreshold?: number;
  /** p90 model latency that raises an alarm. @default 1 second */
  readonly maxModelLatency?: Duration;
}

const FIVE_MINUTES = Duration.minutes(5);

/** Confused-deputy guard for the CloudWatch service principal: alarms of this account and Region only. */
function ownAlarmsCondition(scope: Construct): Record<string, Record<string, string>> {
  const stack = Stack.of(scope);
  return {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: {
      'aws:SourceArn': stack.formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: '*',
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    },
  };
}

/**
 * Operations view: a CloudWatch dashboard of the whole pipeline and alarms on what needs a
 * person — the stream falling behind, functions failing or throttled, data in a dead-letter
 * queue or piling up in quarantine, rule actions failing over to their error action, workflows
 * failing, the endpoint erroring or slow, the API failing. Every alarm notifies an encrypted SNS
 * topic (e-mail when configured), on alarm and on recovery.
 */
export class Operations extends Construct {
  public readonly topic: sns.Topic;
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarms: cloudwatch.Alarm[] = [];
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `${props.namePrefix} operations alarms`,
      masterKey: props.encryptionKey,
      enforceSSL: true,
    });
    // A topic policy replaces SNS's default one, and enforceSSL writes one with only a Deny: the
    // CloudWatch service principal must be allowed to publish explicitly, for this account's alarms
    // only (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html), and to use
    // the key of the encrypted topic
    // (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
    const alarmsPrincipal = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const fromOwnAlarms = ownAlarmsCondition(this);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [alarmsPrincipal],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromOwnAlarms,
      }),
    );
    props.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsUseKey',
        principals: [alarmsPrincipal],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromOwnAlarms,
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    this.action = new actions.SnsAction(this.topic);

    const prefix = props.namePrefix;
    const widgets: cloudwatch.IWidget[][] = [];

    // Ingest: the stream and how far behind its consumer is.
    const iteratorAge = props.telemetryStream.metricGetRecordsIteratorAgeMilliseconds({
      statistic: 'Maximum',
      period: Duration.minutes(1),
    });
    const maxAge = props.maxIteratorAge ?? FIVE_MINUTES;
    this.alarm('StreamIteratorAge', iteratorAge, {
      threshold: maxAge.toMilliseconds(),
      evaluationPeriods: 3,
      description: `The telemetry stream's consumer is more than ${maxAge.toHumanString()} behind: data is late and may expire from the stream.`,
    });
    widgets.push([
      graph('Telemetry stream: records in', [
        props.telemetryStream.metricIncomingRecords({ statistic: 'Sum', period: Duration.minutes(1) }),
      ]),
      graph('Telemetry stream: iterator age (ms)', [iteratorAge]),
    ]);

    // Pipeline outcome: stored, rejected by the store, quarantined.
    const pipeline = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: PIPELINE_METRICS.namespace,
        metricName,
        dimensionsMap: { service: PIPELINE_METRICS.service },
        statistic: 'Sum',
        period: FIVE_MINUTES,
      });
    const quarantined = pipeline('MessagesQuarantined');
    const threshold = props.quarantineThreshold ?? 10;
    this.alarm('Quarantine', quarantined, {
      threshold,
      description: `More than ${threshold} messages were quarantined in 5 minutes: a device or a rule sends data that does not fit the contract.`,
    });
    const dlqWidgets: cloudwatch.IMetric[] = [];
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      const depth = queue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(1),
      });
      dlqWidgets.push(depth.with({ label: name }));
      this.alarm(`DeadLetters${name}`, depth, {
        threshold: 0,
        description: `Messages are waiting in the ${name} dead-letter queue: data that could not be processed needs a look and a redrive.`,
      });
    }
    widgets.push([
      graph('Pipeline: readings stored / rejected, messages quarantined', [
        pipeline('ReadingsStored'),
        pipeline('ReadingsRejected'),
        quarantined,
      ]),
      graph('Dead-letter queue depth', dlqWidgets),
    ]);

    // Topic rules: a failed action means the error action ran; throttling means messages waited.
    const ruleMetrics: cloudwatch.IMetric[] = [];
    // Metric ids must be unique across the expressions of one graph: r<n>_… per rule.
    props.rules.forEach((rule, n) => {
      const ruleName = rule.ruleName!;
      const types = ruleActionTypes(rule);
      const iotMetric = (metricName: string, dims: Record<string, string>) =>
        new cloudwatch.Metric({
          namespace: 'AWS/IoT',
          metricName,
          dimensionsMap: dims,
          statistic: 'Sum',
          period: FIVE_MINUTES,
        });
      const usingMetrics: Record<string, cloudwatch.IMetric> = {
        [`r${n}_throttled`]: iotMetric('RuleMessageThrottled', { RuleName: ruleName }),
      };
      types.actions.forEach((actionType, i) => {
        usingMetrics[`r${n}_failed${i}`] = iotMetric('Failure', {
          RuleName: ruleName,
          ActionType: actionType,
        });
      });
      if (types.errorAction) {
        usingMetrics[`r${n}_lost`] = iotMetric('ErrorActionFailure', {
          RuleName: ruleName,
          ActionType: types.errorAction,
        });
      }
      const problems = new cloudwatch.MathExpression({
        expression: Object.keys(usingMetrics)
          .map((k) => `FILL(${k}, 0)`)
          .join(' + '),
        usingMetrics,
        label: ruleName,
        period: FIVE_MINUTES,
      });
      ruleMetrics.push(problems);
      this.alarm(`Rule${ruleName.replace(/[^A-Za-z0-9]/g, '')}`, problems, {
        threshold: 0,
        description: `Topic rule ${ruleName}: its ${types.actions.join('/')} action failed (the error action took the message, or failed too) or messages were throttled.`,
      });
    });

    // Functions: errors and throttles of each.
    const errors: cloudwatch.IMetric[] = [];
    const throttles: cloudwatch.IMetric[] = [];
    for (const fn of props.functions) {
      const label = fn.node.path.split('/').slice(1).join('/');
      const key = label.replace(/[^A-Za-z0-9]/g, '');
      const e = fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES, label });
      const t = fn.metricThrottles({ statistic: 'Sum', period: FIVE_MINUTES, label });
      errors.push(e);
      throttles.push(t);
      this.alarm(`Errors${key}`, e, { threshold: 0, description: `Lambda ${label} failed invocations.` });
      this.alarm(`Throttles${key}`, t, {
        threshold: 0,
        description: `Lambda ${label} was throttled: raise its concurrency or find what floods it.`,
      });
    }
    widgets.push([
      graph('Topic rules: failures and throttling', ruleMetrics),
      graph('Lambda errors', errors),
    ]);
    widgets.push([graph('Lambda throttles', throttles)]);

    // Workflows: failed and timed-out executions.
    const workflowMetrics: cloudwatch.IMetric[] = [];
    Object.entries(props.stateMachines ?? {}).forEach(([name, machine], n) => {
      const failed = new cloudwatch.MathExpression({
        expression: `FILL(w${n}_failed, 0) + FILL(w${n}_timedout, 0) + FILL(w${n}_aborted, 0)`,
        usingMetrics: {
          [`w${n}_failed`]: machine.metricFailed({ statistic: 'Sum', period: FIVE_MINUTES }),
          [`w${n}_timedout`]: machine.metricTimedOut({ statistic: 'Sum', period: FIVE_MINUTES }),
          [`w${n}_aborted`]: machine.metricAborted({ statistic: 'Sum', period: FIVE_MINUTES }),
        },
        label: name,
        period: FIVE_MINUTES,
      });
      workflowMetrics.push(failed);
      this.alarm(`Workflow${name}`, failed, {
        threshold: 0,
        description: `Workflow ${name} executions failed, timed out or were aborted.`,
      });
    });
    if (workflowMetrics.length)
      widgets[widgets.length - 1]!.push(graph('Workflow failures', workflowMetrics));

    // Scoring endpoint: errors and model latency.
    if (props.endpoint) {
      const dims = {
        EndpointName: props.endpoint.endpointName,
        VariantName: props.endpoint.variantName ?? 'AllTraffic',
      };
      const sm = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/SageMaker',
          metricName,
          dimensionsMap: dims,
          statistic,
          period: FIVE_MINUTES,
        });
      const endpointErrors = new cloudwatch.MathExpression({
        expression: 'FILL(e4, 0) + FILL(e5, 0)',
        usingMetrics: { e4: sm('Invocation4XXErrors', 'Sum'), e5: sm('Invocation5XXErrors', 'Sum') },
        label: 'endpoint errors',
        period: FIVE_MINUTES,
      });
      // ModelLatency is reported in microseconds.
      const latency = sm('ModelLatency', 'p90');
      const maxLatency = props.maxModelLatency ?? Duration.seconds(1);
      this.alarm('EndpointErrors', endpointErrors, {
        threshold: 0,
        description:
          'The scoring endpoint answered with errors; the stream path falls back to the in-process detector.',
      });
      this.alarm('EndpointLatency', latency, {
        threshold: maxLatency.toMilliseconds() * 1000,
        evaluationPeriods: 3,
        description: `The scoring endpoint's p90 model latency is above ${maxLatency.toHumanString()}.`,
      });
      widgets.push([
        graph('Endpoint errors', [endpointErrors]),
        graph('Endpoint p90 model latency (µs)', [latency]),
      ]);
    }

    // Query API: server errors and latency.
    if (props.api) {
      const serverErrors = props.api.metricServerError({ period: FIVE_MINUTES });
      const latency = props.api.metricLatency({ statistic: 'p99', period: FIVE_MINUTES });
      this.alarm('ApiServerErrors', serverErrors, {
        threshold: 5,
        description: 'The query API answered more than 5 server errors in 5 minutes.',
      });
      widgets.push([
        graph('Query API: 4xx / 5xx', [props.api.metricClientError({ period: FIVE_MINUTES }), serverErrors]),
        graph('Query API: p99 latency (ms)', [latency]),
      ]);
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${prefix}-operations`,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.AlarmStatusWidget({
            title: 'Alarms',
            alarms: this.alarms,
            width: 24,
            height: Math.min(12, 2 + Math.ceil(this.alarms.length / 4)),
          }),
        ],
        ...widgets,
      ],
    });
  }

  private alarm(
    id: string,
    metric: cloudwatch.IMetric,
    opts: { threshold: number; description: string; evaluationPeriods?: number },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold: opts.threshold,
      evaluationPeriods: opts.evaluationPeriods ?? 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // No data means nothing happened (no errors, no messages): not an alarm.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: opts.description,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }
}

function graph(title: string, metrics: cloudwatch.IMetric[]): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left: metrics, width: 12, height: 6 });
}
