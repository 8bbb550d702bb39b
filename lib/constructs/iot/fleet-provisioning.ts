import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import { PROVISIONING_CLIENT_PREFIX } from '../../../core/topics';
import { acknowledge } from '../common/nag';
import { ProjectFunction } from '../common/project-function';
import { iotArn, topicArn, topicFilterArn } from './arns';
import type { DeviceFleet } from './device-fleet';

/** https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSIoTThingsRegistration.html */
export const PROVISIONING_MANAGED_POLICY = 'service-role/AWSIoTThingsRegistration';

export interface FleetProvisioningProps {
  readonly namePrefix: string;
  readonly fleet: DeviceFleet;
  /** Regular expression serial numbers must match to be provisioned. */
  readonly serialPattern: string;
}

/**
 * Fleet provisioning by claim: devices leave the factory with a shared claim certificate that
 * can do nothing but ask for their own identity. The template creates the thing (named by the
 * serial number, with its site), activates the new certificate and attaches the device
 * policy; a pre-provisioning hook refuses serial numbers that do not match the known pattern.
 */
export class FleetProvisioning extends Construct {
  public readonly template: iot.CfnProvisioningTemplate;
  public readonly claimPolicy: iot.CfnPolicy;
  public readonly hook: ProjectFunction;
  public readonly templateName: string;

  constructor(scope: Construct, id: string, props: FleetProvisioningProps) {
    super(scope, id);
    this.templateName = `${props.namePrefix}-fleet`;

    this.hook = new ProjectFunction(this, 'PreProvisioningHook', {
      entry: 'provisioning-hook',
      description: 'Accepts fleet provisioning only for known serial numbers and valid sites',
      timeout: undefined,
      environment: { SERIAL_PATTERN: props.serialPattern },
    });
    this.hook.addPermission('IotInvoke', {
      principal: new iam.ServicePrincipal('iot.amazonaws.com'),
      sourceArn: iotArn(this, 'provisioningtemplate', this.templateName),
      sourceAccount: this.hook.stack.account,
    });

    // The role AWS documents for fleet provisioning: RegisterThing creates the thing, attaches
    // the certificate and policy, and may read groups, types and policies on the way
    // (https://docs.aws.amazon.com/iot/latest/developerguide/provision-wo-cert.html).
    const role = new iam.Role(this, 'ProvisioningRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': this.hook.stack.account } },
      }),
      description: 'Lets IoT fleet provisioning register things of the aiot fleet',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(PROVISIONING_MANAGED_POLICY)],
    });
    acknowledge(
      role,
      `IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${PROVISIONING_MANAGED_POLICY}]`,
      'AWS documents AWSIoTThingsRegistration as the fleet provisioning role policy; RegisterThing may call registry reads a hand-written list would miss, and the template and pre-provisioning hook decide what is created.',
    );
    this.template = new iot.CfnProvisioningTemplate(this, 'Template', {
      templateName: this.templateName,
      description: 'aiot devices: thing named by serial number, site attribute, device policy',
      enabled: true,
      provisioningRoleArn: role.roleArn,
      templateType: 'FLEET_PROVISIONING',
      preProvisioningHook: { targetArn: this.hook.functionArn, payloadVersion: '2020-04-01' },
      templateBody: JSON.stringify({
        Parameters: {
          SerialNumber: { Type: 'String' },
          Site: { Type: 'String' },
          'AWS::IoT::Certificate::Id': { Type: 'String' },
        },
        Resources: {
          thing: {
            Type: 'AWS::IoT::Thing',
            OverrideSettings: {
              AttributePayload: 'MERGE',
              ThingTypeName: 'REPLACE',
              ThingGroups: 'DO_NOTHING',
            },
            Properties: {
              ThingName: { Ref: 'SerialNumber' },
              ThingTypeName: props.fleet.thingType.thingTypeName,
              ThingGroups: [props.fleet.thingGroup.thingGroupName],
              AttributePayload: { site: { Ref: 'Site' } },
            },
          },
          certificate: {
            Type: 'AWS::IoT::Certificate',
            Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
          },
          policy: {
            Type: 'AWS::IoT::Policy',
            Properties: { PolicyName: props.fleet.devicePolicy.policyName },
          },
        },
      }),
    });
    this.template.node.addDependency(this.hook.permissionsNode.findChild('IotInvoke'));

    // The claim certificate may only create its device's keys and run this one template.
    const certTopics = [
      '$aws/certificates/create/json',
      `$aws/provisioning-templates/${this.templateName}/provision/json`,
    ];
    this.claimPolicy = new iot.CfnPolicy(this, 'ClaimPolicy', {
      policyName: `${props.namePrefix}-claim`,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          // Only provisioning client ids: a leaked claim certificate cannot take over a device's client id.
          {
            Effect: 'Allow',
            Action: 'iot:Connect',
            Resource: iotArn(this, 'client', `${PROVISIONING_CLIENT_PREFIX}*`),
          },
          { Effect: 'Allow', Action: 'iot:Publish', Resource: certTopics.map((t) => topicArn(this, t)) },
          {
            Effect: 'Allow',
            Action: 'iot:Subscribe',
            Resource: certTopics.map((t) => topicFilterArn(this, `${t}/*`)),
          },
          {
            Effect: 'Allow',
            Action: 'iot:Receive',
            Resource: certTopics.map((t) => topicArn(this, `${t}/*`)),
          },
        ],
      },
    });
  }
}
