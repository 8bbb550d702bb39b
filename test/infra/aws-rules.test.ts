/**
 * The AWS rules the stack relies on (docs/aws-rules.md), each checked on the synthesized stack
 * (without bundling: none of these rules depends on a Lambda's code).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iot from 'aws-cdk-lib/aws-iot';
import { AiotStack } from '../../lib/aiot-stack';
import { ConfigError, LONGEST_STAGE, loadConfig } from '../../lib/config';
import { DEPLOY_REGIONS, LONGEST_DEPLOY_REGION } from '../../lib/constructs/common/deploy-regions';
import { ESM_MAX_RECORD_AGE } from '../../lib/constructs/ingest/telemetry-stream';
import { DeviceFleet } from '../../lib/constructs/iot/device-fleet';
import {
  IOT_POLICY_MAX_CHARS,
  policyLength,
  resolvePolicyDocument,
  WORST_CASE_ENVIRONMENT,
} from '../../lib/constructs/iot/policy-size';
import { testApp } from '../fixtures/stack';

function build(context: Record<string, unknown> = {}, env?: { region: string; account: string }) {
  const app = testApp(context);
  const stack = new AiotStack(app, 'aiot-rules', {
    config: loadConfig((k) => app.node.tryGetContext(k)),
    env,
  });
  return { app, stack };
}

type Statement = { Effect: string; Action: string | string[]; Principal?: unknown; Condition?: unknown };
const statements = (doc: unknown) => (doc as { Statement: Statement[] }).Statement;

describe('AWS rules the stack relies on', () => {
  let longest: ReturnType<typeof build>;
  let template: Template;
  beforeAll(() => {
    longest = build({
      stage: LONGEST_STAGE,
      quicksightPrincipalArn: 'arn:aws:quicksight:us-east-1:123456789012:user/default/ops',
    });
    template = Template.fromStack(longest.stack);
  });

  describe('IoT Core: a policy document holds at most 2,048 characters without whitespace', () => {
    it.each([
      ['device', () => longest.stack.fleet.devicePolicy],
      ['edge-core', () => longest.stack.edge.access.corePolicy],
      ['claim', () => longest.stack.provisioning.claimPolicy],
    ])(
      'when the %s policy is resolved for the longest Region and the longest stage, it fits',
      (_name, policy) => {
        const resolved = resolvePolicyDocument(
          longest.stack,
          policy().policyDocument,
          WORST_CASE_ENVIRONMENT,
        );
        expect(JSON.stringify(resolved)).toContain(`:iot:${LONGEST_DEPLOY_REGION}:123456789012:`);
        expect(JSON.stringify(resolved)).toContain(LONGEST_STAGE.replace(/-/g, '_'));
        // A margin for the next grant: a tenth of the limit.
        expect(policyLength(resolved)).toBeLessThan(IOT_POLICY_MAX_CHARS * 0.9);
      },
    );

    it('when a policy would be longer, synth fails naming the policy, the Region and the limit', () => {
      const app = new App();
      const stack = new Stack(app, 'too-long');
      new DeviceFleet(stack, 'Fleet', { namePrefix: 'aiot-x', telemetryRuleName: `r${'x'.repeat(900)}` });
      expect(() => app.synth()).toThrow(
        new RegExp(
          `IoT policy aiot-x-device: \\d+ characters without whitespace in ${LONGEST_DEPLOY_REGION}.*at most 2048`,
        ),
      );
    });

    it('when the edge-core policy is written, it uses no thing policy variables (Greengrass does not resolve them for cores)', () => {
      const doc = JSON.stringify(longest.stack.resolve(longest.stack.edge.access.corePolicy.policyDocument));
      expect(doc).not.toContain('iot:Connection.Thing');
      expect(doc).toContain(`client/aiot-${LONGEST_STAGE}-core-*`);
    });
  });

  describe('Regions: the stack deploys only where every service it needs exists', () => {
    it('when the Region is known at synth and is not one of them, synth fails naming it and the Regions', () => {
      expect(() => build({}, { region: 'eu-north-1', account: '123456789012' })).toThrow(ConfigError);
      expect(() => build({}, { region: 'eu-north-1', account: '123456789012' })).toThrow(
        /cannot deploy to eu-north-1.*us-east-1, .*eu-west-1/,
      );
    });

    it('when the Region is one of them, synth goes on', () => {
      expect(() => build({}, { region: 'ap-southeast-2', account: '123456789012' })).not.toThrow();
    });

    it('when the template is Region-agnostic, a CloudFormation rule refuses every other Region', () => {
      const rules = template.toJSON().Rules as Record<
        string,
        { Assertions: { Assert: unknown; AssertDescription: string }[] }
      >;
      expect(rules.DeployRegion.Assertions[0]).toEqual({
        Assert: { 'Fn::Contains': [[...DEPLOY_REGIONS], { Ref: 'AWS::Region' }] },
        AssertDescription: expect.stringContaining('ap-northeast-1'),
      });
    });
  });

  describe('Lambda: an event source mapping discards records older than at most 7 days', () => {
    it('when Kinesis keeps records for 30 days, synth succeeds and the mapping gives up at 7 days', () => {
      const { stack } = build({ kinesisRetentionHours: 720 });
      const t = Template.fromStack(stack);
      t.hasResourceProperties('AWS::Kinesis::Stream', { RetentionPeriodHours: 720 });
      t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        MaximumRecordAgeInSeconds: ESM_MAX_RECORD_AGE.toSeconds(),
      });
    });

    it('when the retention is beyond what Kinesis keeps, the error names the key', () => {
      expect(() => build({ kinesisRetentionHours: 9000 })).toThrow(/- kinesisRetentionHours: /);
    });
  });

  describe('Lambda: reserved concurrency fails in accounts with the default quota', () => {
    it('when synthesized with the operator dashboard, no function reserves concurrency', () => {
      const functions = Object.values(template.findResources('AWS::Lambda::Function'));
      expect(functions.length).toBeGreaterThan(5);
      for (const f of functions) expect(f.Properties.ReservedConcurrentExecutions).toBeUndefined();
    });
  });

  describe('SNS: a topic policy replaces the default one', () => {
    it("when the alarm topic enforces TLS, its policy still lets CloudWatch publish, for this account's alarms only", () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: {
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                ArnLike: { 'aws:SourceArn': Match.anyValue() },
              },
            }),
          ]),
        },
      });
    });
  });

  describe('KMS: grants to service principals carry the confused-deputy conditions', () => {
    it('when the data key names a service principal, every such statement is bound to this account and a source ARN', () => {
      const [key] = Object.values(template.findResources('AWS::KMS::Key')) as {
        Properties: { KeyPolicy: unknown };
      }[];
      const services = statements(key!.Properties.KeyPolicy).filter((s) =>
        JSON.stringify(s.Principal ?? {}).includes('Service'),
      );
      expect(services.map((s) => JSON.stringify(s.Principal))).toEqual(
        expect.arrayContaining([
          expect.stringContaining('iot.amazonaws.com'),
          expect.stringContaining('cloudwatch.amazonaws.com'),
        ]),
      );
      for (const s of services) {
        expect(s.Condition).toMatchObject({
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: { 'aws:SourceArn': expect.anything() },
        });
      }
    });
  });

  describe('IoT fleet provisioning', () => {
    it('when IoT assumes the provisioning role, the role carries AWSIoTThingsRegistration', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        Description: 'Lets IoT fleet provisioning register things of the aiot fleet',
        ManagedPolicyArns: [
          {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSIoTThingsRegistration'],
            ],
          },
        ],
      });
    });

    it('when a claim certificate connects, it may use provisioning client ids only', () => {
      const claim = longest.stack.resolve(longest.stack.provisioning.claimPolicy.policyDocument);
      const connect = statements(claim).find((s) => s.Action === 'iot:Connect')!;
      const resolved = resolvePolicyDocument(longest.stack, connect, WORST_CASE_ENVIRONMENT) as {
        Resource: string;
      };
      expect(resolved.Resource).toMatch(/:client\/aiot-provision-\*$/);
    });
  });

  it('when built, the policy construct types are the ones measured (no policy escapes the size check)', () => {
    const policies = longest.stack.node.findAll().filter((c) => c instanceof iot.CfnPolicy);
    expect(policies.map((p) => (p as iot.CfnPolicy).policyName).sort()).toEqual(
      [
        `aiot-${LONGEST_STAGE}-claim`,
        `aiot-${LONGEST_STAGE}-device`,
        `aiot-${LONGEST_STAGE}-edge-core`,
      ].sort(),
    );
  });
});
