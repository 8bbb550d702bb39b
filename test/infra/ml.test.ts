import { readFileSync } from 'node:fs';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { algorithmImage, RANDOM_CUT_FOREST } from '../../lib/constructs/ml/sagemaker-registry';
import { placeholders, WORKFLOW_FILES } from '../../local/workflows/asl';
import { buildStack } from '../fixtures/stack';

let template: Template;
beforeAll(() => {
  template = buildStack({
    stage: 'test',
    retrainingSchedule: 'cron(0 3 ? * SUN *)',
    inferenceMode: 'instance',
    trainingWindowDays: 21,
  }).template();
});

const dataKeyArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] };

describe('retraining state machine', () => {
  it('when synthesized, runs the retraining ASL file with full logging and X-Ray tracing', () => {
    const found = template.findResources('AWS::StepFunctions::StateMachine', {
      Properties: { StateMachineName: 'aiot-test-retraining' },
    });
    const [sm] = Object.values(found) as { Properties: Record<string, unknown> }[];
    expect(Object.keys(sm!.Properties.DefinitionSubstitutions as object).sort()).toEqual(
      placeholders(readFileSync(WORKFLOW_FILES.retraining, 'utf8')),
    );
    expect(sm!.Properties).toMatchObject({
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('when synthesized, the Random Cut Forest image comes from the region map at deploy time', () => {
    const mappings = Object.values(template.findMappings('*')) as Record<string, { account: string }>[];
    const rcf = mappings.find((m) => m['us-east-1']?.account === RANDOM_CUT_FOREST.accounts['us-east-1']);
    expect(rcf).toMatchObject({ 'eu-west-1': { account: RANDOM_CUT_FOREST.accounts['eu-west-1'] } });
    expect(Object.keys(rcf!).sort()).toEqual(Object.keys(RANDOM_CUT_FOREST.accounts).sort());
    expect(algorithmImage(RANDOM_CUT_FOREST, 'us-east-1')).toBe(
      '382416733822.dkr.ecr.us-east-1.amazonaws.com/randomcutforest:1',
    );
    expect(() => algorithmImage(RANDOM_CUT_FOREST, 'xx-nowhere-1')).toThrow(
      'no randomcutforest registry known for xx-nowhere-1',
    );
  });

  it('when synthesized, the workflow passes only the SageMaker role, only to SageMaker, and drives prefixed jobs', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^RetrainingWorkflowStateMachineRole') }] },
    });
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
          .PolicyDocument.Statement,
    );
    const passRole = statements.filter((s) => s.Action === 'iam:PassRole');
    expect(passRole).toEqual([
      {
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^RetrainingSageMakerRole/), 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      },
    ]);
    const sagemaker = statements.find(
      (s) => Array.isArray(s.Action) && s.Action.includes('sagemaker:CreateTrainingJob'),
    );
    const text = JSON.stringify(sagemaker);
    expect(text).toContain(':training-job/aiot-test-*');
    expect(text).toContain(':endpoint/aiot-test-detector');
    expect(text).not.toContain('"*"');
    expect(JSON.stringify(statements)).toContain('StepFunctionsGetEventsForSageMakerTrainingJobsRule');
  });

  it('when synthesized, the export task is configured from the configuration (window, inference mode)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Retraining: training window from the lake'),
      Environment: {
        Variables: Match.objectLike({
          ATHENA_WORKGROUP: 'aiot-test',
          LAKE_DATABASE: 'aiot_test',
          TRAINING_WINDOW_DAYS: '21',
          INFERENCE_MODE: 'instance',
          NAME_PREFIX: 'aiot-test',
        }),
      },
    });
  });
});

describe('retraining schedule', () => {
  it('when synthesized, EventBridge Scheduler starts the workflow on the configured expression with its scheduled time', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 ? * SUN *)',
      State: 'ENABLED',
      Target: Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^RetrainingWorkflowStateMachine') },
        Input: JSON.stringify({ trigger: 'schedule', requestedAt: '<aws.scheduler.scheduled-time>' }),
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 3 }),
      }),
    });
  });
});

describe('SageMaker role and buckets', () => {
  it('when synthesized, the SageMaker role is assumable by SageMaker of this account only', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      Description: 'aiot SageMaker training, batch transform and endpoints',
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'sagemaker.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });
  });

  it('when synthesized, the SageMaker role reaches the two ML buckets by prefix and nothing else in S3', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^RetrainingSageMakerRole') }] },
    });
    const resources = JSON.stringify(
      Object.values(policies).map((p) => (p as { Properties: unknown }).Properties),
    );
    expect(resources).toContain('/runs/*');
    expect(resources).toContain('/models/*');
    expect(resources).not.toMatch(/"Resource":"\*"[^}]*"s3:/);
    expect(resources).not.toContain('QuarantineBucket');
  });

  it('when synthesized, both ML buckets use the project key, TLS only, with a lifecycle; models are versioned', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: dataKeyArn },
          }),
        ],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } })]),
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 90 })]) },
      LoggingConfiguration: { LogFilePrefix: 'TrainingData/' },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^ModelsTrainingData') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});
