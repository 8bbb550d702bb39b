import { Match, type Template } from 'aws-cdk-lib/assertions';
import { RULES, ruleName } from '../../core/rules';
import { buildStack } from '../fixtures/stack';

let template: Template;
beforeAll(() => {
  template = buildStack({
    stage: 'test',
    storageBackend: 'timestream-liveanalytics',
    memoryRetentionHours: 12,
    magneticRetentionDays: 90,
  }).template();
});

const kmsKey = { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] };

describe('ingest path infrastructure', () => {
  it('when synthesized, routes telemetry (plain and Basic Ingest) to Kinesis keyed by device id, with an S3 error action', () => {
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      RuleName: 'aiot_test_telemetry',
      TopicRulePayload: {
        Sql: RULES.telemetry.sql,
        AwsIotSqlVersion: '2016-03-23',
        RuleDisabled: false,
        Actions: [
          {
            Kinesis: { PartitionKey: '${topic(4)}', StreamName: Match.anyValue(), RoleArn: Match.anyValue() },
          },
        ],
        ErrorAction: {
          S3: {
            BucketName: Match.anyValue(),
            Key: Match.stringLikeRegexp('^rule-errors/aiot_test_telemetry/'),
            RoleArn: Match.anyValue(),
          },
        },
      },
    });
  });

  it('when synthesized, routes edge events to the event router Lambda with an error action and an invoke permission bound to the rule', () => {
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      RuleName: 'aiot_test_events',
      TopicRulePayload: {
        Sql: RULES.events.sql,
        Actions: [
          { Lambda: { FunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventRouter'), 'Arn'] } } },
        ],
        ErrorAction: {
          S3: Match.objectLike({ Key: Match.stringLikeRegexp('^rule-errors/aiot_test_events/') }),
        },
      },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'iot.amazonaws.com',
      Action: 'lambda:InvokeFunction',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':rule/aiot_test_events$')])] },
    });
  });

  it('when synthesized, gives every rule the stack defines an S3 error action of its own, so no rule drops a message silently', () => {
    const rules = Object.values(template.findResources('AWS::IoT::TopicRule')).map(
      (r) => r.Properties.TopicRulePayload as { Sql: string; ErrorAction?: { S3?: { Key?: string } } },
    );
    // One deployed rule per definition the local runtime runs too.
    expect(rules.map((r) => r.Sql).sort()).toEqual(
      Object.values(RULES)
        .map((r) => r.sql)
        .sort(),
    );
    for (const rule of rules) {
      const id = Object.values(RULES).find((r) => r.sql === rule.Sql)!.id;
      expect(rule.ErrorAction?.S3?.Key).toMatch(new RegExp(`^rule-errors/${ruleName('test', id)}/`));
    }
  });

  it('when synthesized, encrypts the stream and its dead-letter queue with the project key', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: kmsKey },
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      RetentionPeriodHours: 24,
    });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: kmsKey });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('when synthesized, feeds the stream processor with batching window, bisect, bounded retries, partial batch responses and an SQS on-failure destination', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: Match.stringLikeRegexp('^StreamProcessor') },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TelemetryDeadLetterQueue'), 'Arn'] },
        },
      },
    });
  });

  it('when synthesized, runs functions on the latest Node.js on arm64 with tracing and their own log group', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^StreamProcessorLogs') } },
      Environment: {
        Variables: Match.objectLike({
          TELEMETRY_DATABASE: 'aiot-test',
          TELEMETRY_TABLE: 'telemetry',
          QUARANTINE_BUCKET: { Ref: Match.stringLikeRegexp('^QuarantineBucket') },
        }),
      },
    });
  });

  it('when synthesized, lets the stream processor write only its table', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'timestream:WriteRecords',
            Resource: { 'Fn::Join': ['', Match.arrayWith([':database/aiot-test/table/telemetry'])] },
          }),
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^StreamProcessorRole') }],
    });
  });

  it('when synthesized, keeps the time-series store encrypted with retention from config and magnetic writes rejected to S3', () => {
    template.hasResourceProperties('AWS::Timestream::Database', {
      DatabaseName: 'aiot-test',
      KmsKeyId: kmsKey,
    });
    template.hasResourceProperties('AWS::Timestream::Table', {
      TableName: 'telemetry',
      RetentionProperties: {
        MemoryStoreRetentionPeriodInHours: '12',
        MagneticStoreRetentionPeriodInDays: '90',
      },
      MagneticStoreWriteProperties: {
        EnableMagneticStoreWrites: true,
        MagneticStoreRejectedDataLocation: {
          S3Configuration: Match.objectLike({
            EncryptionOption: 'SSE_KMS',
            ObjectKeyPrefix: 'timestream-rejected/telemetry/',
          }),
        },
      },
    });
  });

  it('when synthesized, keeps quarantine and rule errors in a KMS-encrypted, TLS-only bucket with a lifecycle', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: kmsKey },
            BucketKeyEnabled: true,
          },
        ],
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 90, Status: 'Enabled' })]),
      },
      PublicAccessBlockConfiguration: Match.objectLike({
        BlockPublicAcls: true,
        RestrictPublicBuckets: true,
      }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});
