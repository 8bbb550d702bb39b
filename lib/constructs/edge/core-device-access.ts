import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import { APP, commandFilter, commandResponseTopic, commandTopic } from '../../../core/topics';
import { clientArn, iotArn, thingArn, topicArn, topicFilterArn } from '../iot/arns';
import { sizedIotPolicy } from '../iot/policy-size';

export interface CoreDeviceAccessProps {
  /** Prefix of the names (the stage keeps deployments apart). */
  readonly namePrefix: string;
  /**
   * The prefix for the longest stage name: the core policy's size is checked with it too.
   * @default namePrefix
   */
  readonly longestNamePrefix?: string;
  /**
   * How long credentials from the token exchange service last.
   * @default 3600
   */
  readonly credentialDurationSeconds?: number;
}

/** Core devices' thing names start with this: their IoT policy cannot use thing policy variables. */
export const coreThingPrefix = (namePrefix: string): string => `${namePrefix}-core-`;

/**
 * What a Greengrass core device may do: the token exchange role (trusted by the IoT credentials
 * provider) behind a role alias, and the core's IoT policy.
 *
 * AWS IoT Greengrass does not support thing policy variables (`iot:Connection.Thing.*`) in a
 * core device's policy, and the nucleus connects with client ids that carry a suffix
 * (https://docs.aws.amazon.com/greengrass/v2/developerguide/device-auth.html#iot-policies), so
 * the policy names the cores by the thing-name prefix `aiot-<stage>-core-` instead. A core
 * connects as such a thing; uses its own jobs, shadows (the client device auth's `-gci` shadow
 * too) and health topics; relays the site's telemetry, aggregates, events and command replies to
 * IoT Core and commands back down (MQTT bridge); serves its client devices (client device auth:
 * https://docs.aws.amazon.com/greengrass/v2/developerguide/connect-client-devices.html#connect-client-devices-requirements);
 * and assumes its token exchange role through this alias only.
 */
export class CoreDeviceAccess extends Construct {
  public readonly tokenExchangeRole: iam.Role;
  public readonly roleAlias: iot.CfnRoleAlias;
  public readonly corePolicy: iot.CfnPolicy;
  /** Core devices must be things whose names start with this. */
  public readonly thingPrefix: string;

  constructor(scope: Construct, id: string, props: CoreDeviceAccessProps) {
    super(scope, id);
    this.thingPrefix = coreThingPrefix(props.namePrefix);
    this.tokenExchangeRole = new iam.Role(this, 'TokenExchangeRole', {
      assumedBy: new iam.ServicePrincipal('credentials.iot.amazonaws.com'),
      description: 'Greengrass core devices of aiot: AWS credentials for component artifacts',
    });
    this.roleAlias = new iot.CfnRoleAlias(this, 'RoleAlias', {
      roleAlias: `${props.namePrefix}-edge-tes`,
      roleArn: this.tokenExchangeRole.roleArn,
      credentialDurationSeconds: props.credentialDurationSeconds ?? 3600,
    });
    this.corePolicy = sizedIotPolicy(this, 'CorePolicy', {
      policyName: `${props.namePrefix}-edge-core`,
      variants: [props.namePrefix, props.longestNamePrefix ?? props.namePrefix],
      render: (p) => this.policyDocument(p),
    });
  }

  /** The core policy for the cores of `namePrefix` (built from the name, so its size can be checked for any stage). */
  policyDocument(namePrefix: string): Record<string, unknown> {
    const cores = `${coreThingPrefix(namePrefix)}*`;
    // Jobs, shadows (the client device auth's `<core>-gci` shadow included) and health topics.
    const own = `$aws/things/${cores}`;
    // Device data relayed up (telemetry, aggregates, events of any site: the policy cannot name
    // the core's site) and the devices' command replies.
    const relayedUp = [`dt/${APP}/*`, commandResponseTopic('*', '*', '*')];
    const commandsDown = commandFilter('+', '+');
    return {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'iot:Connect', Resource: clientArn(this, cores) },
        {
          Effect: 'Allow',
          Action: 'iot:Publish',
          Resource: [own, ...relayedUp].map((t) => topicArn(this, t)),
        },
        {
          Effect: 'Allow',
          Action: 'iot:Receive',
          Resource: [own, commandTopic('*', '*', '*')].map((t) => topicArn(this, t)),
        },
        {
          Effect: 'Allow',
          Action: 'iot:Subscribe',
          Resource: [own, commandsDown].map((t) => topicFilterArn(this, t)),
        },
        {
          Effect: 'Allow',
          Action: 'iot:AssumeRoleWithCertificate',
          Resource: iotArn(this, 'rolealias', `${namePrefix}-edge-tes`),
        },
        {
          Effect: 'Allow',
          Action: 'greengrass:GetComponentVersionArtifact',
          Resource: Stack.of(this).formatArn({
            service: 'greengrass',
            resource: 'components',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
        {
          // The core's own connectivity information (client device auth reads it, an IP detector updates it).
          Effect: 'Allow',
          Action: ['greengrass:GetConnectivityInfo', 'greengrass:UpdateConnectivityInfo'],
          Resource: thingArn(this, cores),
        },
        {
          // Any client device of the account may be checked; which may connect is the Auth configuration's choice.
          Effect: 'Allow',
          Action: 'greengrass:VerifyClientDeviceIoTCertificateAssociation',
          Resource: thingArn(this, '*'),
        },
        {
          // Data-plane calls that AWS's minimal core policy and client device auth grant without a resource scope.
          Effect: 'Allow',
          Action: [
            'greengrass:ResolveComponentCandidates',
            'greengrass:GetDeploymentConfiguration',
            'greengrass:ListThingGroupsForCoreDevice',
            'greengrass:PutCertificateAuthorities',
            'greengrass:VerifyClientDeviceIdentity',
          ],
          Resource: '*',
        },
      ],
    };
  }
}
