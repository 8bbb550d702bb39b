import * as iot from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import { basicIngestTopic, deviceTopicGrants } from '../../../core/topics';
import {
  clientArn,
  compactGrants,
  renderGrant,
  THING_NAME,
  thingArn,
  topicArn,
  topicFilterArn,
} from './arns';
import { sizedIotPolicy } from './policy-size';

export interface DeviceFleetProps {
  /** Prefix of the IoT names (the stage keeps deployments apart). */
  readonly namePrefix: string;
  /** Name of the telemetry rule, for the Basic Ingest topic devices may publish to. */
  readonly telemetryRuleName: string;
  /**
   * The telemetry rule's name for the longest stage name: the policy's size is checked with it.
   * @default telemetryRuleName
   */
  readonly longestTelemetryRuleName?: string;
}

/**
 * The device registry side of the fleet: a thing type, a thing group every device joins, and
 * the device IoT policy. A device connects only as itself (client id = thing name, certificate
 * attached to that thing), publishes only its own data (plain topics and Basic Ingest) and
 * command replies, receives only its own commands, and may discover the Greengrass core of
 * its site (Greengrass cloud discovery).
 */
export class DeviceFleet extends Construct {
  public readonly thingType: iot.CfnThingType;
  public readonly thingGroup: iot.CfnThingGroup;
  public readonly devicePolicy: iot.CfnPolicy;

  constructor(scope: Construct, id: string, props: DeviceFleetProps) {
    super(scope, id);
    this.thingType = new iot.CfnThingType(this, 'ThingType', {
      thingTypeName: `${props.namePrefix}-sensor`,
      thingTypeProperties: {
        thingTypeDescription: 'aiot sensor device: streams telemetry, accepts safety commands',
        searchableAttributes: ['site', 'model'],
      },
    });
    this.thingGroup = new iot.CfnThingGroup(this, 'ThingGroup', {
      thingGroupName: `${props.namePrefix}-fleet`,
      thingGroupProperties: { thingGroupDescription: 'Every aiot device of this deployment' },
    });
    this.devicePolicy = sizedIotPolicy(this, 'DevicePolicy', {
      policyName: `${props.namePrefix}-device`,
      variants: [props.telemetryRuleName, props.longestTelemetryRuleName ?? props.telemetryRuleName],
      render: (rule) => this.policyDocument(rule),
    });
  }

  /** The device policy, one resource per topic family (IoT policies are limited in length). */
  policyDocument(telemetryRuleName: string): Record<string, unknown> {
    const publish = compactGrants(deviceTopicGrants.publish.map(renderGrant));
    const basicIngest = deviceTopicGrants.publish
      .filter((g) => g.endsWith('/telemetry'))
      .map((g) => basicIngestTopic(telemetryRuleName, renderGrant(g)));
    const subscribe = deviceTopicGrants.subscribe.map(renderGrant);
    return {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'iot:Connect',
          Resource: clientArn(this, THING_NAME),
          Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
        },
        {
          Effect: 'Allow',
          Action: 'iot:Publish',
          Resource: [...publish, ...basicIngest].map((t) => topicArn(this, t)),
        },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: subscribe.map((t) => topicFilterArn(this, t)) },
        { Effect: 'Allow', Action: 'iot:Receive', Resource: subscribe.map((t) => topicArn(this, t)) },
        {
          // Greengrass cloud discovery: the cores this device is associated with, and their CAs.
          // https://docs.aws.amazon.com/greengrass/v2/developerguide/device-auth.html#client-device-minimal-iot-policy
          Effect: 'Allow',
          Action: 'greengrass:Discover',
          Resource: thingArn(this, THING_NAME),
        },
      ],
    };
  }
}
