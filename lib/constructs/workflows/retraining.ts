import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeBucketPut, nagArn } from '../common/nag';
import { ProjectFunction } from '../common/project-function';
import { iotArn } from '../iot/arns';
import { algorithmImage, RANDOM_CUT_FOREST, XGBOOST } from '../ml/algorithm-images';
import type { ModelStorage } from '../ml/model-storage';
import { acknowledgeBucketPrefix, SageMakerRole } from '../ml/sagemaker-role';
import type { DataLake } from '../storage/data-lake';
import type { HotStore } from '../storage/hot-store';
import type { AlertTopic } from './alert-topic';
import type { WorkOrderTable } from './work-order-table';
import { WorkflowStateMachine } from './workflow-state-machine';

export interface RetrainingProps {
  /** Prefix of resource names (`aiot-<stage>`). */
  readonly namePrefix: string;
  readonly store: HotStore;
  /** Where training data comes from (Athena over the lake), and where predictions are copied. */
  readonly lake: DataLake;
  readonly workOrders: WorkOrderTable;
  readonly alerts: AlertTopic;
  readonly storage: ModelStorage;
  readonly encryptionKey: kms.IKey;
  /** EventBridge Scheduler expression, e.g. `rate(7 days)`. */
  readonly schedule: string;
  /** Days of history a run trains and evaluates on. */
  readonly windowDays: number;
  readonly inferenceMode: 'serverless' | 'instance';
  readonly trainingInstanceType: string;
  readonly inferenceInstanceType: string;
  /** Thing group of the Greengrass cores that get the new thresholds; none when undefined. @default none */
  readonly edgeCoreGroupName?: string;
  /**
   * Where the edge's thresholds are recorded for the stack's own deployment to read; required with
   * `edgeCoreGroupName`. @default none
   */
  readonly edgeThresholdsParameter?: ssm.IStringParameter;
  /** The edge detector component. @default com.aiot.AnomalyDetector */
  readonly edgeComponentName?: string;
}

/**
 * The retraining workflow (`lib/workflows/retraining.asl.json`): its task functions, the
 * SageMaker role, the endpoint it maintains, and the schedule that runs it.
 */
export class Retraining extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly sageMakerRole: iam.Role;
  public readonly schedule: scheduler.Schedule;
  /** The inference endpoint the workflow creates and updates (absent until a first model is deployed). */
  public readonly endpointName: string;
  public readonly exportTask: ProjectFunction;
  public readonly evaluateTask: ProjectFunction;
  public readonly promoteTask: ProjectFunction;
  public readonly updateEdgeTask: ProjectFunction;
  public readonly storePredictionsTask: ProjectFunction;
  private readonly storage: ModelStorage;

  constructor(scope: Construct, id: string, props: RetrainingProps) {
    super(scope, id);
    this.storage = props.storage;
    const { trainingBucket, modelBucket } = props.storage;
    this.endpointName = `${props.namePrefix}-detector`;
    this.sageMakerRole = new SageMakerRole(this, 'SageMaker', {
      trainingBucket,
      modelBucket,
      encryptionKey: props.encryptionKey,
    }).role;

    this.exportTask = new ProjectFunction(this, 'Export', {
      entry: 'workflow-tasks/export-training-data',
      description: 'Retraining: training window from the lake (Athena UNLOAD), labelled evaluation set to S3',
      memorySize: 1024,
      timeout: Duration.minutes(15),
      environment: {
        TRAINING_BUCKET: trainingBucket.bucketName,
        MODEL_BUCKET: modelBucket.bucketName,
        TRAINING_WINDOW_DAYS: String(props.windowDays),
        INFERENCE_MODE: props.inferenceMode,
        NAME_PREFIX: props.namePrefix,
      },
    });
    props.lake.grantQuery(this.exportTask, trainingBucket, 'runs');
    props.workOrders.grantRead(this.exportTask);
    trainingBucket.grantPut(this.exportTask, 'runs/*');
    acknowledgeBucketPut(this.exportTask.role!, trainingBucket, 'runs');
    modelBucket.grantRead(this.exportTask, 'registry/*');
    acknowledgeBucketPrefix(
      this.exportTask.role!,
      modelBucket,
      'registry',
      'Reads the record of the model in service.',
    );

    this.evaluateTask = new ProjectFunction(this, 'Evaluate', {
      entry: 'workflow-tasks/evaluate-model',
      description: 'Retraining: candidate against current model on the labelled windows',
      memorySize: 1024,
      timeout: Duration.minutes(15),
    });
    trainingBucket.grantRead(this.evaluateTask, 'runs/*');
    acknowledgeBucketPrefix(
      this.evaluateTask.role!,
      trainingBucket,
      'runs',
      'Reads the evaluation set and scores of runs.',
    );

    this.promoteTask = new ProjectFunction(this, 'Promote', {
      entry: 'workflow-tasks/promote-model',
      description: 'Retraining: records the deployed model in the registry',
      environment: { MODEL_BUCKET: modelBucket.bucketName },
    });
    modelBucket.grantPut(this.promoteTask, 'registry/*');
    acknowledgeBucketPut(this.promoteTask.role!, modelBucket, 'registry');

    trainingBucket.grantRead(this.exportTask, 'ground-truth/*');
    acknowledgeBucketPrefix(
      this.exportTask.role!,
      trainingBucket,
      'ground-truth',
      'Reads the fleet simulator ground truth uploaded there.',
    );

    this.storePredictionsTask = new ProjectFunction(this, 'StorePredictions', {
      entry: 'workflow-tasks/store-predictions',
      description: 'Retraining: failure predictions into the events table beside the anomaly scores',
      timeout: Duration.minutes(2),
      network: props.store.network,
    });
    props.store.grantWriteEvents(this.storePredictionsTask);
    props.lake.grantDeliver(this.storePredictionsTask, 'events');
    trainingBucket.grantRead(this.storePredictionsTask, 'runs/*');
    acknowledgeBucketPrefix(
      this.storePredictionsTask.role!,
      trainingBucket,
      'runs',
      'Reads the predictor output of runs.',
    );

    const edgeTarget = props.edgeCoreGroupName ? iotArn(this, 'thinggroup', props.edgeCoreGroupName) : '';
    this.updateEdgeTask = new ProjectFunction(this, 'UpdateEdge', {
      entry: 'workflow-tasks/update-edge',
      description: 'Retraining: new detector thresholds to the edge (Greengrass deployment revision)',
      timeout: Duration.minutes(2),
      environment: {
        EDGE_TARGET_ARN: edgeTarget,
        EDGE_COMPONENT: props.edgeComponentName ?? 'com.aiot.AnomalyDetector',
      },
    });
    if (edgeTarget) {
      if (!props.edgeThresholdsParameter) {
        throw new Error(
          'Retraining: edgeCoreGroupName needs edgeThresholdsParameter, or a stack update loses pushed thresholds',
        );
      }
      this.grantEdgeDeployment(edgeTarget);
      this.updateEdgeTask.addEnvironment(
        'EDGE_THRESHOLDS_PARAMETER',
        props.edgeThresholdsParameter.parameterName,
      );
      props.edgeThresholdsParameter.grantWrite(this.updateEdgeTask);
    }

    for (const fn of [this.exportTask, this.evaluateTask, this.storePredictionsTask]) {
      for (const rule of [
        'IAM5[Action::s3:GetObject*]',
        'IAM5[Action::s3:GetBucket*]',
        'IAM5[Action::s3:List*]',
      ]) {
        acknowledge(fn.role!, rule, 'CDK read grant on one ML bucket prefix.');
      }
    }

    const workflow = new WorkflowStateMachine(this, 'Workflow', {
      file: 'retraining.asl.json',
      stateMachineName: `${props.namePrefix}-retraining`,
      timeout: Duration.hours(12),
      substitutions: {
        ExportFunctionArn: this.exportTask.functionArn,
        EvaluateFunctionArn: this.evaluateTask.functionArn,
        PromoteFunctionArn: this.promoteTask.functionArn,
        UpdateEdgeFunctionArn: this.updateEdgeTask.functionArn,
        AlertTopicArn: props.alerts.topic.topicArn,
        RcfImage: algorithmImage(this, 'RcfImage', RANDOM_CUT_FOREST),
        XgbImage: algorithmImage(this, 'XgbImage', XGBOOST),
        StorePredictionsFunctionArn: this.storePredictionsTask.functionArn,
        SageMakerRoleArn: this.sageMakerRole.roleArn,
        KmsKeyArn: props.encryptionKey.keyArn,
        TrainingInstanceType: props.trainingInstanceType,
        InferenceInstanceType: props.inferenceInstanceType,
        EndpointName: this.endpointName,
      },
    });
    this.stateMachine = workflow.stateMachine;
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [
          this.exportTask,
          this.evaluateTask,
          this.promoteTask,
          this.updateEdgeTask,
          this.storePredictionsTask,
        ].map((f) => f.functionArn),
      }),
    );
    props.alerts.grantPublish(this.stateMachine);
    this.grantSageMaker(props.namePrefix, props.encryptionKey);

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: 'Retrains the anomaly model on recent history',
      schedule: scheduler.ScheduleExpression.expression(props.schedule),
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({
          trigger: 'schedule',
          requestedAt: scheduler.ContextAttribute.scheduledTime,
        }),
        retryAttempts: 3,
      }),
    });
  }

  /**
   * Lets `fn` score through the deployed endpoint: the registry bucket (which model, which
   * threshold) and the invoke permission go together, so they cannot drift.
   */
  grantScoring(fn: lambda.Function): void {
    const { modelBucket } = this.storage;
    fn.addEnvironment('MODEL_BUCKET', modelBucket.bucketName);
    modelBucket.grantRead(fn, 'registry/*');
    acknowledgeBucketPrefix(fn.role!, modelBucket, 'registry', 'Reads which model is in service.');
    for (const rule of [
      'IAM5[Action::s3:GetObject*]',
      'IAM5[Action::s3:GetBucket*]',
      'IAM5[Action::s3:List*]',
    ]) {
      acknowledge(fn.role!, rule, 'CDK read grant on one ML bucket prefix.');
    }
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:InvokeEndpoint'],
        resources: [
          Stack.of(this).formatArn({
            service: 'sagemaker',
            resource: 'endpoint',
            resourceName: this.endpointName,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );
  }

  /** The SageMaker calls of the workflow, on resources named with the stack's prefix. */
  private grantSageMaker(prefix: string, key: kms.IKey): void {
    const stack = Stack.of(this);
    const sm = (resource: string, name: string) =>
      stack.formatArn({
        service: 'sagemaker',
        resource,
        resourceName: name,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'sagemaker:CreateTrainingJob',
          'sagemaker:DescribeTrainingJob',
          'sagemaker:StopTrainingJob',
          'sagemaker:CreateModel',
          'sagemaker:CreateTransformJob',
          'sagemaker:DescribeTransformJob',
          'sagemaker:StopTransformJob',
          'sagemaker:CreateEndpointConfig',
          'sagemaker:CreateEndpoint',
          'sagemaker:UpdateEndpoint',
          'sagemaker:DescribeEndpoint',
          'sagemaker:AddTags',
        ],
        resources: [
          sm('training-job', `${prefix}-*`),
          sm('model', `${prefix}-*`),
          sm('transform-job', `${prefix}-*`),
          sm('endpoint-config', `${prefix}-*`),
          sm('endpoint', this.endpointName),
        ],
      }),
    );
    // `.sync` follows the jobs through EventBridge rules Step Functions manages.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          stack.formatArn({
            service: 'events',
            resource: 'rule',
            resourceName: 'StepFunctionsGetEventsForSageMakerTrainingJobsRule',
          }),
          stack.formatArn({
            service: 'events',
            resource: 'rule',
            resourceName: 'StepFunctionsGetEventsForSageMakerTransformJobsRule',
          }),
        ],
      }),
    );
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.sageMakerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    );
    // Training and transform volumes are encrypted with the project key through grants the caller makes.
    key.grant(this.stateMachine, 'kms:CreateGrant', 'kms:DescribeKey');
    for (const what of ['training-job', 'model', 'transform-job', 'endpoint-config']) {
      acknowledge(
        this.stateMachine.role,
        `IAM5[Resource::${nagArn(this, 'sagemaker', `${what}/${prefix}-*`)}]`,
        'Each run names its jobs, model and endpoint configuration after the run; all share the stack prefix.',
      );
    }
  }

  /** Lets the edge task revise the core group's deployment (Greengrass creates an IoT job for it). */
  private grantEdgeDeployment(targetArn: string): void {
    const stack = Stack.of(this);
    this.updateEdgeTask.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['greengrass:ListDeployments', 'greengrass:GetDeployment', 'greengrass:CreateDeployment'],
        resources: ['*'],
      }),
    );
    this.updateEdgeTask.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'iot:DescribeThingGroup',
          'iot:CreateJob',
          'iot:UpdateJob',
          'iot:DescribeJob',
          'iot:CancelJob',
        ],
        resources: [targetArn, stack.formatArn({ service: 'iot', resource: 'job', resourceName: '*' })],
      }),
    );
    acknowledge(
      this.updateEdgeTask.role!,
      'IAM5[Resource::*]',
      'Greengrass deployments are listed and created by target, not by a resource ARN known before they exist.',
    );
    acknowledge(
      this.updateEdgeTask.role!,
      `IAM5[Resource::${nagArn(this, 'iot', 'job/*')}]`,
      'A Greengrass deployment runs as an IoT job whose id Greengrass generates.',
    );
  }
}
