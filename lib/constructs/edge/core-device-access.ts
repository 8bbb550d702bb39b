import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import { aggregatesTopic, eventsTopic } from '../../../core/topics';
import { iotArn, THING_NAME, THING_SITE, topicArn, topicFilterArn } from '../iot/arns';

export interface CoreDeviceAccessProps {
  /** Prefix of the names (the stage keeps deployments apart). */
  readonly namePrefix: string;
  /**
   * How long credentials from the token exchange service last.
   * @default 3600
   */
  readonly credentialDurationSeconds?: number;
}

/**
 * What a Greengrass core device may do: the token exchange role (trusted by the IoT credentials
 * provider) behind a role alias, and the core's IoT policy — connect as itself, its own jobs,
 * shadows and health topics, the Greengrass data plane, the aggregates and events of its own
 * site (the `site` attribute of its thing), and AssumeRoleWithCertificate on this alias only.
 */
export class CoreDeviceAccess extends Construct {
  public readonly tokenExchangeRole: iam.Role;
  public readonly roleAlias: iot.CfnRoleAlias;
  public readonly corePolicy: iot.CfnPolicy;

  constructor(scope: Construct, id: string, props: CoreDeviceAccessProps) {
    super(scope, id);
    this.tokenExchangeRole = new iam.Role(this, 'TokenExchangeRole', {
      assumedBy: new iam.ServicePrincipal('credentials.iot.amazonaws.com'),
      description: 'Greengrass core devices of aiot: AWS credentials for component artifacts',
    });
    this.roleAlias = new iot.CfnRoleAlias(this, 'RoleAlias', {
      roleAlias: `${props.namePrefix}-edge-tes`,
      roleArn: this.tokenExchangeRole.roleArn,
      credentialDurationSeconds: props.credentialDurationSeconds ?? 3600,
    });

    const own = `$aws/things/${THING_NAME}*`;
    const ownTopics = [
      `${own}/greengrass/health/json`,
      `${own}/greengrassv2/health/json`,
      `${own}/jobs/*`,
      `${own}/shadow/*`,
    ];
    const siteData = [aggregatesTopic(THING_SITE, '*'), eventsTopic(THING_SITE, '*')];
    this.corePolicy = new iot.CfnPolicy(this, 'CorePolicy', {
      policyName: `${props.namePrefix}-edge-core`,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            // The nucleus opens more than one connection: `<thing>`, `<thing>#2` …
            Effect: 'Allow',
            Action: 'iot:Connect',
            Resource: iotArn(this, 'client', `${THING_NAME}*`),
            Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
          },
          {
            Effect: 'Allow',
            Action: ['iot:Publish', 'iot:Receive'],
            Resource: [...ownTopics, ...siteData].map((t) => topicArn(this, t)),
          },
          {
            Effect: 'Allow',
            Action: 'iot:Subscribe',
            Resource: ownTopics.map((t) => topicFilterArn(this, t)),
          },
          {
            Effect: 'Allow',
            Action: 'iot:AssumeRoleWithCertificate',
            Resource: this.roleAlias.attrRoleAliasArn,
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
            // Data-plane calls of the nucleus that AWS's minimal core policy grants without a resource scope.
            Effect: 'Allow',
            Action: [
              'greengrass:ResolveComponentCandidates',
              'greengrass:GetDeploymentConfiguration',
              'greengrass:ListThingGroupsForCoreDevice',
            ],
            Resource: '*',
          },
        ],
      },
    });
  }
}
