import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import { RULES } from '../../core/rules';
import { placeholders, WORKFLOW_FILES } from '../../local/workflows/asl';
import { type BuiltStack, buildStack } from '../fixtures/stack';

// asl-validator ships no type declarations.
const aslValidator: (definition: unknown) => {
  isValid: boolean;
  errors: unknown[];
} = require('asl-validator');

let built: BuiltStack;
let template: Template;
let assemblyDir: string;
beforeAll(() => {
  built = buildStack({ stage: 'test', ackTimeoutSeconds: 95 });
  template = built.template();
  assemblyDir = built.app.synth().directory;
});

type Resource = { Properties: Record<string, unknown> };
function stateMachine(name: string): Resource {
  const found = Object.values(
    template.findResources('AWS::StepFunctions::StateMachine', { Properties: { StateMachineName: name } }),
  ) as Resource[];
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('workflow files', () => {
  it.each(Object.entries(WORKFLOW_FILES))(
    'when %s is validated with asl-validator, it is valid ASL',
    (_name, file) => {
      const definition = JSON.parse(readFileSync(file, 'utf8'));
      const { isValid, errors } = aslValidator(definition);
      expect(errors).toEqual([]);
      expect(isValid).toBe(true);
    },
  );
});

describe('anomaly-response state machine', () => {
  it('when synthesized, runs the very ASL file with every placeholder substituted', () => {
    const sm = stateMachine('aiot-test-anomaly-response');
    const location = sm.Properties.DefinitionS3Location as { Key: string };
    const staged = readdirSync(assemblyDir).find(
      (f) => f.startsWith('asset.') && location.Key.includes(f.slice(6, -5)),
    );
    expect(staged).toBeTruthy();
    const source = readFileSync(WORKFLOW_FILES['anomaly-response'], 'utf8');
    expect(readFileSync(path.join(assemblyDir, staged!), 'utf8')).toBe(source);
    expect(Object.keys(sm.Properties.DefinitionSubstitutions as object).sort()).toEqual(placeholders(source));
  });

  it('when synthesized, logs every execution event and traces with X-Ray (cdk-nag SF1, SF2)', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'aiot-test-anomaly-response',
      StateMachineType: 'STANDARD',
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
      TracingConfiguration: { Enabled: true },
    });
  });

  it('when synthesized, the workflow may invoke its task functions and publish alerts, nothing broader', () => {
    const sm = stateMachine('aiot-test-anomaly-response');
    const roleRef = (sm.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleRef }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'lambda:InvokeFunction',
            Resource: [
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^AnomalyResponseEnrich'), 'Arn'] },
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^AnomalyResponseClassify'), 'Arn'] },
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^AnomalyResponseWorkOrders'), 'Arn'] },
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^AnomalyResponseCommandDevice'), 'Arn'] },
            ],
          }),
          Match.objectLike({
            Action: 'sns:Publish',
            Resource: { Ref: Match.stringLikeRegexp('^AlertsTopic') },
          }),
        ]),
      },
    });
  });

  it('when synthesized, the work-order task may get, put and update items of the table only (no scan, query, delete)', () => {
    // Actions: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
    const stack = built.stack;
    const role = stack.resolve((stack.anomalyResponse.workOrderTask.role!.node.defaultChild as CfnRole).ref);
    const table = stack.getLogicalId(stack.workOrders.table.node.defaultChild as CfnTable);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify(role)),
    );
    const statements = policies.flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const dynamo = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('dynamodb:')));
    expect(dynamo).toHaveLength(1);
    expect([dynamo[0]!.Action].flat().sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(JSON.stringify(dynamo[0]!.Resource)).toContain(table);
    const actions = statements.flatMap((st) => [st.Action].flat());
    for (const broad of ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'])
      expect(actions).not.toContain(broad);
    // The table is encrypted with the project key: the task may use it, for this table's items.
    expect(actions).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt']));
  });

  it('when synthesized, the event router gets the state machine ARN, the ack policy and the start permission together', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Stores anomaly events from the edge and starts the response workflow',
      Environment: {
        Variables: Match.objectLike({
          ANOMALY_RESPONSE_ARN: { Ref: Match.stringLikeRegexp('^AnomalyResponseWorkflowStateMachine') },
          ACK_POLL_SECONDS: '30',
          ACK_MAX_POLLS: '4',
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^EventRouterRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'states:StartExecution',
            Resource: { Ref: Match.stringLikeRegexp('^AnomalyResponseWorkflowStateMachine') },
          }),
        ]),
      },
    });
  });

  it('when synthesized, the safe-mode command may go only to command topics, through the data plane', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^AnomalyResponseCommandDeviceRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'iot:Publish',
            Resource: {
              'Fn::Join': [
                '',
                Match.arrayWith([Match.stringLikeRegexp(':topic/cmd/aiot/\\*/\\*/safe-mode$')]),
              ],
            },
          }),
        ]),
      },
    });
  });

  it('when synthesized, routes safe-mode answers to the acknowledgement function with an S3 error action', () => {
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      RuleName: 'aiot_test_command_ack',
      TopicRulePayload: Match.objectLike({
        Sql: RULES.commandAck.sql,
        Actions: [
          {
            Lambda: {
              FunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AnomalyResponseCommandAck'), 'Arn'] },
            },
          },
        ],
        ErrorAction: {
          S3: Match.objectLike({ Key: Match.stringLikeRegexp('^rule-errors/aiot_test_command_ack/') }),
        },
      }),
    });
  });
});

describe('work orders and alerts', () => {
  it('when synthesized, the work-order table has point-in-time recovery, the project key and a status index', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
      },
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: 'byStatus',
          KeySchema: [
            { AttributeName: 'status', KeyType: 'HASH' },
            { AttributeName: 'openedAt', KeyType: 'RANGE' },
          ],
        }),
      ],
    });
  });

  it('when synthesized, the alert topic is encrypted with the project key and refuses plain HTTP', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});
