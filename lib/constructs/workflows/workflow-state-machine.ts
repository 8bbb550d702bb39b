import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledge } from '../common/nag';
import { REPO_ROOT } from '../common/project-function';

export interface WorkflowStateMachineProps {
  /** File name under `lib/workflows/`, e.g. `anomaly-response.asl.json`. */
  readonly file: string;
  /** Values of the file's `${Placeholders}`. */
  readonly substitutions: Record<string, string>;
  readonly stateMachineName: string;
  /** @default 24 hours */
  readonly timeout?: Duration;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A Standard state machine from one of the project's ASL files (the same file the local runner
 * executes), with full execution logging and X-Ray tracing.
 */
export class WorkflowStateMachine extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly role: iam.IRole;

  constructor(scope: Construct, id: string, props: WorkflowStateMachineProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(path.join(REPO_ROOT, 'lib', 'workflows', props.file)),
      definitionSubstitutions: props.substitutions,
      timeout: props.timeout ?? Duration.hours(24),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.role = this.stateMachine.role;
    acknowledge(
      this.stateMachine.role,
      'IAM5[Resource::*]',
      'X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery and friends) support no resource-level permission.',
    );
  }
}
