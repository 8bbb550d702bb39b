import { Match, type Template } from 'aws-cdk-lib/assertions';
import { buildStack } from '../fixtures/stack';

let template: Template;
beforeAll(() => {
  template = buildStack({ stage: 'test' }).template();
});

/** Joins an Fn::Join ARN into a readable string with tokens as <Ref>. */
function flat(v: unknown): string {
  if (typeof v === 'string') return v;
  const o = v as Record<string, unknown>;
  if (o['Fn::Join']) return (o['Fn::Join'] as [string, unknown[]])[1].map(flat).join('');
  if (o.Ref) return `<${o.Ref}>`;
  return JSON.stringify(v);
}

function policyStatements(name: string): { Action: string; Resource: string[]; Condition?: unknown }[] {
  const policies = template.findResources('AWS::IoT::Policy', { Properties: { PolicyName: name } });
  const [policy] = Object.values(policies) as {
    Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } };
  }[];
  return policy!.Properties.PolicyDocument.Statement.map((s) => ({
    Action: s.Action as string,
    Resource: ([] as unknown[]).concat(s.Resource).map(flat),
    Condition: s.Condition,
  }));
}

describe('IoT Core infrastructure', () => {
  it('when synthesized, has the thing type and the fleet thing group', () => {
    template.hasResourceProperties('AWS::IoT::ThingType', { ThingTypeName: 'aiot-test-sensor' });
    template.hasResourceProperties('AWS::IoT::ThingGroup', { ThingGroupName: 'aiot-test-fleet' });
  });

  it('when a device connects, it may do so only as its own attached thing', () => {
    const connect = policyStatements('aiot-test-device').find((s) => s.Action === 'iot:Connect')!;
    expect(connect.Resource).toEqual([
      expect.stringMatching(/:client\/\$\{iot:Connection\.Thing\.ThingName\}$/),
    ]);
    expect(connect.Condition).toEqual({ Bool: { 'iot:Connection.Thing.IsAttached': 'true' } });
  });

  it('when a device publishes, its policy names only its own topics, one resource per family, Basic Ingest included, through policy variables', () => {
    const publish = policyStatements('aiot-test-device').find((s) => s.Action === 'iot:Publish')!;
    const own = 'dt/aiot/${iot:Connection.Thing.Attributes[site]}/${iot:Connection.Thing.ThingName}';
    const topics = publish.Resource.map((r) => r.replace(/^.*:topic\//, ''));
    expect(topics).toEqual([
      `${own}/*`,
      'cmd/aiot/${iot:Connection.Thing.Attributes[site]}/${iot:Connection.Thing.ThingName}/*/res',
      `$aws/rules/aiot_test_telemetry/${own}/telemetry`,
    ]);
  });

  it('when a device discovers its site core, it may do so for its own thing only', () => {
    const discover = policyStatements('aiot-test-device').find((s) => s.Action === 'greengrass:Discover')!;
    expect(discover.Resource).toEqual([
      expect.stringMatching(/:thing\/\$\{iot:Connection\.Thing\.ThingName\}$/),
    ]);
  });

  it('when a device subscribes, it receives only its own commands', () => {
    const statements = policyStatements('aiot-test-device');
    for (const action of ['iot:Subscribe', 'iot:Receive']) {
      const s = statements.find((x) => x.Action === action)!;
      for (const r of s.Resource) expect(r).toMatch(/\$\{iot:Connection\.Thing\.ThingName\}/);
      expect(s.Resource[0]).toMatch(
        /cmd\/aiot\/\$\{iot:Connection\.Thing\.Attributes\[site\]\}\/\$\{iot:Connection\.Thing\.ThingName\}\/\*$/,
      );
    }
  });

  it('when a device is provisioned by claim, the template names the thing by serial, attaches the device policy, and a hook vets it', () => {
    template.hasResourceProperties('AWS::IoT::ProvisioningTemplate', {
      TemplateName: 'aiot-test-fleet',
      Enabled: true,
      PreProvisioningHook: {
        TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('PreProvisioningHook'), 'Arn'] },
        PayloadVersion: '2020-04-01',
      },
    });
    const [tpl] = Object.values(template.findResources('AWS::IoT::ProvisioningTemplate')) as {
      Properties: { TemplateBody: string };
    }[];
    const body = JSON.parse(tpl!.Properties.TemplateBody);
    expect(body.Resources.thing.Properties).toMatchObject({
      ThingName: { Ref: 'SerialNumber' },
      ThingTypeName: 'aiot-test-sensor',
      ThingGroups: ['aiot-test-fleet'],
      AttributePayload: { site: { Ref: 'Site' } },
    });
    expect(body.Resources.policy.Properties.PolicyName).toBe('aiot-test-device');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SERIAL_PATTERN: '^AIOT-[0-9A-F]{8}$' }) },
    });
  });

  it('when a claim certificate connects, it can only reach the certificate and provisioning topics of this template', () => {
    const statements = policyStatements('aiot-test-claim');
    const publish = statements.find((s) => s.Action === 'iot:Publish')!;
    expect(publish.Resource.map((r) => r.replace(/^.*:topic\//, ''))).toEqual([
      '$aws/certificates/create/json',
      '$aws/provisioning-templates/aiot-test-fleet/provision/json',
    ]);
  });
});
