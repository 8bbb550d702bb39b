import type * as cdk from 'aws-cdk-lib';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { COMPONENT_NAME, DEFAULT_EDGE_CONFIG } from '../../greengrass/anomaly-detector/config';
import { EdgeProcessing } from '../../lib/constructs/edge/edge-processing';
import { buildStack, testApp } from '../fixtures/stack';

/** Joins an Fn::Join string into a readable one with tokens as <Ref>. */
function flat(v: unknown): string {
  if (typeof v === 'string') return v;
  const o = v as Record<string, unknown>;
  if (o['Fn::Join']) return (o['Fn::Join'] as [string, unknown[]])[1].map(flat).join('');
  if (o.Ref) return `<${o.Ref}>`;
  if (o['Fn::GetAtt']) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
  if (o['Fn::Sub']) return String(o['Fn::Sub']);
  return JSON.stringify(v);
}

function build(props: Partial<ConstructorParameters<typeof EdgeProcessing>[2]> = {}) {
  const app = testApp({}, { nag: true });
  const stack = new Stack(app, 'edge-test');
  const edge = new EdgeProcessing(stack, 'Edge', { namePrefix: 'aiot-test', ...props });
  return { app, stack, edge, template: Template.fromStack(stack) };
}

interface Recipe {
  ComponentConfiguration: { DefaultConfiguration: Record<string, Record<string, Record<string, unknown>>> };
  Manifests: { Artifacts: { URI: string; Unarchive: string }[]; Lifecycle: { Run: { Script: string } } }[];
}

function recipeOf(template: Template): Recipe {
  const [version] = Object.values(template.findResources('AWS::GreengrassV2::ComponentVersion')) as {
    Properties: { InlineRecipe: unknown };
  }[];
  return JSON.parse(flat(version!.Properties.InlineRecipe));
}

describe('edge processing infrastructure', () => {
  let built: ReturnType<typeof build>;
  beforeAll(() => {
    built = build({ configuration: { windowMs: 30_000, detector: { learningPoints: 500 } } });
  });

  it('when synthesized, the component version carries the recipe inline with the artifact from the S3 asset', () => {
    const recipe = recipeOf(built.template);
    expect(recipe).toMatchObject({
      RecipeFormatVersion: '2020-01-25',
      ComponentName: COMPONENT_NAME,
      ComponentVersion: built.edge.component.version,
    });
    const [manifest] = recipe.Manifests;
    const uri: string = manifest.Artifacts[0].URI;
    expect(uri).toMatch(new RegExp(`^s3://.+/${built.edge.component.artifact.assetHash}\\.zip$`));
    expect(manifest.Artifacts[0].Unarchive).toBe('ZIP');
    expect(manifest.Lifecycle.Run.Script).toBe(
      `node {artifacts:decompressedPath}/${built.edge.component.artifact.assetHash}/index.js {work:path}`,
    );
    expect(recipe.ComponentConfiguration.DefaultConfiguration).toMatchObject({
      sensorTopics: DEFAULT_EDGE_CONFIG.sensorTopics,
      windowMs: DEFAULT_EDGE_CONFIG.windowMs,
    });
  });

  it('when synthesized, IPC access is granted for the sensor topics, the local command and the cloud topics only', () => {
    const access = recipeOf(built.template).ComponentConfiguration.DefaultConfiguration.accessControl;
    const pubsub = Object.values(access['aws.greengrass.ipc.pubsub']) as {
      operations: string[];
      resources: string[];
    }[];
    expect(pubsub).toEqual([
      expect.objectContaining({
        operations: ['aws.greengrass#SubscribeToTopic'],
        resources: ['dt/aiot/+/+/telemetry'],
      }),
      expect.objectContaining({
        operations: ['aws.greengrass#PublishToTopic'],
        // Local pub/sub authorization takes `*`, not MQTT wildcards.
        resources: ['cmd/aiot-edge/*/safe-mode'],
      }),
    ]);
    expect(Object.values(access['aws.greengrass.ipc.mqttproxy'])).toEqual([
      expect.objectContaining({
        operations: ['aws.greengrass#PublishToIoTCore'],
        resources: ['dt/aiot/+/+/aggregates', 'dt/aiot/+/+/events'],
      }),
    ]);
  });

  it('when the artifact or the recipe changes, the component version changes; when nothing changes, it stays', () => {
    expect(built.edge.component.version).toMatch(/^1\.\d{1,6}\.\d{1,6}$/);
    const again = build({ configuration: { windowMs: 30_000, detector: { learningPoints: 500 } } });
    expect(again.edge.component.version).toBe(built.edge.component.version);
    const otherDefaults = build({ defaultConfig: { ...DEFAULT_EDGE_CONFIG, windowMs: 10_000 } });
    expect(otherDefaults.edge.component.version).not.toBe(built.edge.component.version);
  });

  it('when synthesized, the deployment targets the core-device thing group with the merge configuration as JSON', () => {
    built.template.hasResourceProperties('AWS::IoT::ThingGroup', { ThingGroupName: 'aiot-test-edge-cores' });
    const [deployment] = Object.values(built.template.findResources('AWS::GreengrassV2::Deployment')) as {
      Properties: {
        TargetArn: unknown;
        Components: Record<string, { ComponentVersion: string; ConfigurationUpdate: { Merge: string } }>;
        DeploymentPolicies: unknown;
      };
      DependsOn: string[];
    }[];
    expect(flat(deployment!.Properties.TargetArn)).toMatch(/:thinggroup\/aiot-test-edge-cores$/);
    const spec = deployment!.Properties.Components[COMPONENT_NAME];
    expect(spec.ComponentVersion).toBe(built.edge.component.version);
    // The thresholds come from the parameter retraining writes: as CloudFormation resolves the
    // reference, the merge is the configuration with the parameter's thresholds.
    const reference = '{{resolve:ssm:/aiot-test/edge/detector-severity}}';
    expect(spec.ConfigurationUpdate.Merge).toContain(reference);
    const resolved = spec.ConfigurationUpdate.Merge.replace(reference, '{"warning":0.9,"critical":0.97}');
    expect(JSON.parse(resolved)).toEqual({
      windowMs: 30_000,
      detector: { learningPoints: 500, severity: { warning: 0.9, critical: 0.97 } },
    });
    expect(deployment!.Properties.DeploymentPolicies).toMatchObject({ FailureHandlingPolicy: 'ROLLBACK' });
    const componentId = built.stack.getLogicalId(built.edge.component.componentVersion);
    expect(deployment!.DependsOn).toContain(componentId);
  });

  it('when synthesized, the thresholds parameter starts at the configured (or default) detector severity', () => {
    built.template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/aiot-test/edge/detector-severity',
      Type: 'String',
      Value: JSON.stringify(DEFAULT_EDGE_CONFIG.detector.severity),
    });
    const [deployment] = Object.values(built.template.findResources('AWS::GreengrassV2::Deployment')) as {
      DependsOn: string[];
    }[];
    const parameterId = built.stack.getLogicalId(
      built.edge.deployment.thresholdsParameter.node.defaultChild as cdk.CfnElement,
    );
    expect(deployment!.DependsOn).toContain(parameterId);
  });

  it('when the aiot stack is built, retraining writes the parameter the deployment reads, so a stack update keeps pushed thresholds', () => {
    const { stack, template } = buildStack({ stage: 'test' });
    const parameter = stack.getLogicalId(
      stack.edge.deployment.thresholdsParameter.node.defaultChild as cdk.CfnElement,
    );
    template().hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Retraining: new detector thresholds'),
      Environment: { Variables: Match.objectLike({ EDGE_THRESHOLDS_PARAMETER: { Ref: parameter } }) },
    });
    template().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'ssm:PutParameter', Resource: Match.anyValue() }),
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('RetrainingUpdateEdgeRole') }],
    });
  });

  it('when synthesized, the token exchange role is trusted by the IoT credentials provider through the role alias and reads only the artifact', () => {
    built.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'credentials.iot.amazonaws.com' } })],
      },
    });
    built.template.hasResourceProperties('AWS::IoT::RoleAlias', {
      RoleAlias: 'aiot-test-edge-tes',
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('TokenExchangeRole'), 'Arn'] },
    });
    const [policy] = Object.values(built.template.findResources('AWS::IAM::Policy')) as {
      Properties: { PolicyDocument: { Statement: { Action: string; Resource: unknown }[] } };
    }[];
    const statements = policy!.Properties.PolicyDocument.Statement;
    expect(statements).toHaveLength(1);
    expect(statements[0]!.Action).toBe('s3:GetObject');
    expect(flat(statements[0]!.Resource)).toMatch(
      new RegExp(`/${built.edge.component.artifact.assetHash}\\.zip$`),
    );
  });

  it('when a core connects, its IoT policy names the cores by thing-name prefix (no thing policy variables) and allows the role alias only', () => {
    const [policy] = Object.values(
      built.template.findResources('AWS::IoT::Policy', { Properties: { PolicyName: 'aiot-test-edge-core' } }),
    ) as {
      Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } };
    }[];
    const statements = policy!.Properties.PolicyDocument.Statement.map((s) => ({
      Action: s.Action,
      Resource: ([] as unknown[]).concat(s.Resource).map(flat),
    }));
    const find = (action: string) =>
      statements.find((s) => ([] as string[]).concat(s.Action).includes(action))!;
    expect(find('iot:Connect').Resource).toEqual([expect.stringMatching(/:client\/aiot-test-core-\*$/)]);
    expect(find('iot:AssumeRoleWithCertificate').Resource).toEqual([
      expect.stringMatching(/:rolealias\/aiot-test-edge-tes$/),
    ]);
    const publish = find('iot:Publish').Resource.map((r) => r.replace(/^.*:topic\//, ''));
    expect(publish).toEqual(['$aws/things/aiot-test-core-*', 'dt/aiot/*', 'cmd/aiot/*/*/*/res']);
    expect(JSON.stringify(statements)).not.toContain('iot:Connection.Thing');
    // Client device support (https://docs.aws.amazon.com/greengrass/v2/developerguide/connect-client-devices.html).
    for (const action of [
      'greengrass:PutCertificateAuthorities',
      'greengrass:VerifyClientDeviceIdentity',
      'greengrass:VerifyClientDeviceIoTCertificateAssociation',
      'greengrass:GetConnectivityInfo',
      'greengrass:UpdateConnectivityInfo',
    ]) {
      expect(find(action)).toBeDefined();
    }
  });

  it('when sites are configured, the deployment carries client device auth, the Moquette broker and the MQTT bridge', () => {
    const withSites = build({ sites: ['plant-1'] });
    const [deployment] = Object.values(withSites.template.findResources('AWS::GreengrassV2::Deployment')) as {
      Properties: {
        Components: Record<string, { ComponentVersion: string; ConfigurationUpdate?: { Merge: string } }>;
      };
    }[];
    const c = deployment!.Properties.Components;
    expect(Object.keys(c).sort()).toEqual(
      [
        COMPONENT_NAME,
        'aws.greengrass.clientdevices.Auth',
        'aws.greengrass.clientdevices.mqtt.Bridge',
        'aws.greengrass.clientdevices.mqtt.Moquette',
      ].sort(),
    );
    const auth = JSON.parse(c['aws.greengrass.clientdevices.Auth']!.ConfigurationUpdate!.Merge);
    const policy = auth.deviceGroups.policies.aiotDevice;
    const thing = '${iot:Connection.Thing.ThingName}';
    expect(policy.connect.resources).toEqual([`mqtt:clientId:${thing}`]);
    expect(policy.publish.resources).toContain(`mqtt:topic:dt/aiot/plant-1/${thing}/telemetry`);
    expect(policy.subscribe.resources).toEqual([
      `mqtt:topicfilter:cmd/aiot/plant-1/${thing}/+`,
      'mqtt:topicfilter:cmd/aiot-edge/plant-1/+',
    ]);
    const bridge = JSON.parse(c['aws.greengrass.clientdevices.mqtt.Bridge']!.ConfigurationUpdate!.Merge);
    expect(bridge.mqttTopicMapping).toMatchObject({
      telemetryToEdge: { topic: 'dt/aiot/+/+/telemetry', source: 'LocalMqtt', target: 'Pubsub' },
      telemetryToCloud: { topic: 'dt/aiot/+/+/telemetry', source: 'LocalMqtt', target: 'IotCore' },
      'edgeCommands-plant-1': {
        topic: 'cmd/aiot-edge/plant-1/safe-mode',
        source: 'Pubsub',
        target: 'LocalMqtt',
      },
      cloudCommands: { topic: 'cmd/aiot/+/+/+', source: 'IotCore', target: 'LocalMqtt' },
      replies: { topic: 'cmd/aiot/+/+/+/res', source: 'LocalMqtt', target: 'IotCore' },
    });
    // The bridge takes MQTT wildcards only from the local broker or IoT Core, never from local
    // publish/subscribe (mqtt-bridge-component.html#mqtt-bridge-component-configuration).
    for (const [name, m] of Object.entries(bridge.mqttTopicMapping) as [
      string,
      { topic: string; source: string },
    ][]) {
      if (m.source === 'Pubsub')
        expect({ name, topic: m.topic }).toEqual({ name, topic: expect.not.stringMatching(/[+#]/) });
    }
  });

  it('when cdk-nag AwsSolutions checks run, there is no finding', () => {
    expect(() => built.app.synth()).not.toThrow();
  });

  it('when the aiot stack is built, it deploys the component to its own stage-named core group', () => {
    const { stack, template } = buildStack({ stage: 'test' });
    template().hasResourceProperties('AWS::GreengrassV2::Deployment', {
      DeploymentName: 'aiot-test-edge',
      Components: { [COMPONENT_NAME]: { ComponentVersion: stack.edge.component.version } },
    });
    template().hasResourceProperties('AWS::IoT::RoleAlias', { RoleAlias: 'aiot-test-edge-tes' });
  });

  it('when the merge configuration is invalid, synth fails naming the key', () => {
    expect(() => build({ configuration: { windowMs: 10 } })).toThrow(
      'invalid component configuration: windowMs',
    );
  });
});
