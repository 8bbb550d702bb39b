import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { IOT_SQL_VERSION, RULES } from '../../../core/rules';
import { acknowledge, acknowledgeBucketPut, nagArn } from '../common/nag';
import { ProjectFunction } from '../common/project-function';
import { iotArn } from '../iot/arns';
import type { HotStore } from '../storage/hot-store';
import type { AlertTopic } from './alert-topic';
import type { WorkOrderTable } from './work-order-table';
import { WorkflowStateMachine } from './workflow-state-machine';

/** Poll interval of the acknowledgement wait; the timeout is a whole number of polls. */
export const ACK_POLL_SECONDS = 30;

export interface AnomalyResponseProps {
  /** Prefix of resource names (`aiot-<stage>`). */
  readonly namePrefix: string;
  readonly store: HotStore;
  readonly workOrders: WorkOrderTable;
  readonly alerts: AlertTopic;
  /** Seconds a device has to acknowledge safe mode before its order escalates. */
  readonly ackTimeoutSeconds: number;
  /** Bucket receiving command responses the acknowledgement rule fails to deliver. */
  readonly errorBucket: s3.IBucket;
}

/**
 * The anomaly-response workflow (`lib/workflows/anomaly-response.asl.json`) with its task
 * functions, and the IoT rule that brings the device's safe-mode acknowledgement back.
 */
export class AnomalyResponse extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly enrich: ProjectFunction;
  public readonly classify: ProjectFunction;
  public readonly workOrderTask: ProjectFunction;
  public readonly commandDevice: ProjectFunction;
  public readonly commandAck: ProjectFunction;
  public readonly ackRule: iot.CfnTopicRule;
  private readonly ackMaxPolls: number;

  constructor(scope: Construct, id: string, props: AnomalyResponseProps) {
    super(scope, id);
    this.ackMaxPolls = Math.max(1, Math.ceil(props.ackTimeoutSeconds / ACK_POLL_SECONDS));

    this.enrich = new ProjectFunction(this, 'Enrich', {
      entry: 'workflow-tasks/enrich',
      description: 'Anomaly response: recent history and device metadata',
      network: props.store.network,
    });
    props.store.grantRead(this.enrich);
    this.enrich.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['iot:DescribeThing'], resources: [iotArn(this, 'thing', '*')] }),
    );
    acknowledge(
      this.enrich.role!,
      `IAM5[Resource::${nagArn(this, 'iot', 'thing/*')}]`,
      'Any device of the fleet may raise an anomaly; DescribeThing is read-only and limited to things.',
    );

    this.classify = new ProjectFunction(this, 'Classify', {
      entry: 'workflow-tasks/classify',
      description: 'Anomaly response: grades the severity with the detector thresholds',
    });

    this.workOrderTask = new ProjectFunction(this, 'WorkOrders', {
      entry: 'workflow-tasks/work-orders',
      description: 'Anomaly response: opens (idempotent), raises, reads and escalates work orders',
    });
    props.workOrders.grantOrderTask(this.workOrderTask);

    this.commandDevice = new ProjectFunction(this, 'CommandDevice', {
      entry: 'workflow-tasks/command-device',
      description: 'Anomaly response: commands a device to safe mode over the IoT data plane',
    });
    this.commandDevice.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iot:Publish'],
        resources: [iotArn(this, 'topic', 'cmd/aiot/*/*/safe-mode')],
      }),
    );
    this.commandDevice.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['iot:DescribeEndpoint'], resources: ['*'] }),
    );
    acknowledge(
      this.commandDevice.role!,
      `IAM5[Resource::${nagArn(this, 'iot', 'topic/cmd/aiot/*/*/safe-mode')}]`,
      'Publishes only the safe-mode command, to whichever device the anomaly names.',
    );
    acknowledge(
      this.commandDevice.role!,
      'IAM5[Resource::*]',
      'iot:DescribeEndpoint (the account data endpoint) supports no resource-level permission.',
    );

    this.commandAck = new ProjectFunction(this, 'CommandAck', {
      entry: 'workflow-tasks/command-ack',
      description: 'Marks a work order acknowledged when its device answers the safe-mode command',
    });
    props.workOrders.grantReadWrite(this.commandAck);

    const workflow = new WorkflowStateMachine(this, 'Workflow', {
      file: 'anomaly-response.asl.json',
      stateMachineName: `${props.namePrefix}-anomaly-response`,
      timeout: Duration.hours(24),
      substitutions: {
        EnrichFunctionArn: this.enrich.functionArn,
        ClassifyFunctionArn: this.classify.functionArn,
        WorkOrdersFunctionArn: this.workOrderTask.functionArn,
        CommandDeviceFunctionArn: this.commandDevice.functionArn,
        AlertTopicArn: props.alerts.topic.topicArn,
      },
    });
    this.stateMachine = workflow.stateMachine;
    // Invoked by unqualified ARN only, so no `:*` version wildcard is granted.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [this.enrich, this.classify, this.workOrderTask, this.commandDevice].map(
          (f) => f.functionArn,
        ),
      }),
    );
    props.alerts.grantPublish(this.stateMachine);

    this.ackRule = this.acknowledgementRule(props);
  }

  /**
   * Lets `fn` start the workflow and tells it how: the state machine ARN and the acknowledgement
   * policy go into its environment in the same call as the permission, so they cannot drift.
   */
  grantStart(fn: lambda.Function): void {
    fn.addEnvironment('ANOMALY_RESPONSE_ARN', this.stateMachine.stateMachineArn);
    fn.addEnvironment('ACK_POLL_SECONDS', String(ACK_POLL_SECONDS));
    fn.addEnvironment('ACK_MAX_POLLS', String(this.ackMaxPolls));
    this.stateMachine.grantStartExecution(fn);
  }

  private acknowledgementRule(props: AnomalyResponseProps): iot.CfnTopicRule {
    const name = `${props.namePrefix.replace(/[^a-zA-Z0-9_]/g, '_')}_command_ack`;
    const errorRole = new iam.Role(this, 'AckRuleErrorRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Lets the command-acknowledgement rule put undeliverable responses in S3',
    });
    props.errorBucket.grantPut(errorRole, 'rule-errors/*');
    acknowledgeBucketPut(errorRole, props.errorBucket, 'rule-errors');
    const rule = new iot.CfnTopicRule(this, 'AckRule', {
      ruleName: name,
      topicRulePayload: {
        description: RULES.commandAck.description,
        sql: RULES.commandAck.sql,
        awsIotSqlVersion: IOT_SQL_VERSION,
        ruleDisabled: false,
        actions: [{ lambda: { functionArn: this.commandAck.functionArn } }],
        errorAction: {
          s3: {
            bucketName: props.errorBucket.bucketName,
            key: `rule-errors/${name}/\${timestamp()}-\${newuuid()}.json`,
            roleArn: errorRole.roleArn,
          },
        },
      },
    });
    this.commandAck.addPermission('IotAckRuleInvoke', {
      principal: new iam.ServicePrincipal('iot.amazonaws.com'),
      sourceArn: iotArn(this, 'rule', name),
      sourceAccount: Stack.of(this).account,
    });
    return rule;
  }
}
