import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { IOT_SQL_VERSION, RULES, type RuleDefinition, ruleName } from '../../../core/rules';
import { acknowledgeBucketPut } from '../common/nag';
import { iotArn } from './arns';

export interface TopicRulesProps {
  readonly stage: string;
  readonly telemetryStream: kinesis.IStream;
  readonly eventRouter: lambda.IFunction;
  /** Bucket receiving every message a rule action fails to deliver, with the error. */
  readonly errorBucket: s3.IBucket;
}

/**
 * The IoT topic rules, built from the one definition in `core/rules` that the local runtime
 * evaluates too. Each rule has an error action: a message its action cannot deliver lands in
 * S3 with the failure, never silently dropped.
 */
export class TopicRules extends Construct {
  public readonly telemetryRule: iot.CfnTopicRule;
  public readonly eventsRule: iot.CfnTopicRule;
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: TopicRulesProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'RuleRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'Lets the aiot topic rules put records on the telemetry stream and errors in S3',
    });
    props.telemetryStream.grantWrite(this.role);
    props.errorBucket.grantPut(this.role, 'rule-errors/*');
    acknowledgeBucketPut(this.role, props.errorBucket, 'rule-errors');

    const telemetryName = ruleName(props.stage, 'telemetry');
    this.telemetryRule = this.rule('TelemetryRule', telemetryName, RULES.telemetry, props.errorBucket, [
      {
        kinesis: {
          streamName: props.telemetryStream.streamName,
          partitionKey: RULES.telemetry.partitionKey,
          roleArn: this.role.roleArn,
        },
      },
    ]);

    const eventsName = ruleName(props.stage, 'events');
    this.eventsRule = this.rule('EventsRule', eventsName, RULES.events, props.errorBucket, [
      { lambda: { functionArn: props.eventRouter.functionArn } },
    ]);
    props.eventRouter.addPermission('IotEventsRuleInvoke', {
      principal: new iam.ServicePrincipal('iot.amazonaws.com'),
      sourceArn: iotArn(this, 'rule', eventsName),
      sourceAccount: Stack.of(this).account,
    });
  }

  private rule(
    id: string,
    name: string,
    def: RuleDefinition,
    errorBucket: s3.IBucket,
    actions: iot.CfnTopicRule.ActionProperty[],
  ): iot.CfnTopicRule {
    return new iot.CfnTopicRule(this, id, {
      ruleName: name,
      topicRulePayload: {
        description: def.description,
        sql: def.sql,
        awsIotSqlVersion: IOT_SQL_VERSION,
        ruleDisabled: false,
        actions,
        errorAction: {
          s3: {
            bucketName: errorBucket.bucketName,
            key: `rule-errors/${name}/\${parse_time("yyyy/MM/dd", timestamp())}/\${newuuid()}.json`,
            roleArn: this.role.roleArn,
          },
        },
      },
    });
  }
}
