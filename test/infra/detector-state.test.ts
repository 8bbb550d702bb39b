import { Match, type Template } from 'aws-cdk-lib/assertions';
import { DETECTOR_STATE_ATTRIBUTES } from '../../lambda/shared/dynamodb-detector-state';
import { type BuiltStack, buildStack } from '../fixtures/stack';

let built: BuiltStack;
let template: Template;
beforeAll(() => {
  built = buildStack({ stage: 'test' });
  template = built.template();
});

const tableRef = () => ({
  Ref: built.stack.getLogicalId(built.stack.detectorStates.table.node.defaultChild as never),
});

describe('detector-state table', () => {
  it('when synthesized, the table is keyed by device, on demand, encrypted with the data key, with PITR and a TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: DETECTOR_STATE_ATTRIBUTES.key, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: {
          'Fn::GetAtt': [built.stack.getLogicalId(built.stack.dataKey.node.defaultChild as never), 'Arn'],
        },
      },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: DETECTOR_STATE_ATTRIBUTES.ttl, Enabled: true },
    });
  });

  it('when the stream processor is granted the table, it may only batch-read and batch-write it, and is told its name', () => {
    const role = built.stack.getLogicalId(built.stack.streamProcessor.role!.node.defaultChild as never);
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: role }]) },
    });
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } })
          .Properties.PolicyDocument.Statement,
    );
    const onTable = statements.filter((s) => JSON.stringify(s.Resource).includes(tableRef().Ref));
    expect(onTable).toEqual([
      expect.objectContaining({
        Action: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'],
        Effect: 'Allow',
      }),
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [role, 'Arn'] },
      Environment: {
        Variables: Match.objectLike({
          DETECTOR_STATE_TABLE: tableRef(),
          DETECTOR_STATE_SAVE_SECONDS: Match.absent(),
        }),
      },
    });
  });
});
