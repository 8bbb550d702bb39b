import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import { acknowledge, nagArn } from '../common/nag';
import { ProjectFunction } from '../common/project-function';
import { iotArn, topicArn, topicFilterArn } from './arns';
import type { DeviceFleet } from './device-fleet';

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

    const role = new iam.Role(this, 'ProvisioningRole', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com'),
      description: 'Lets IoT fleet provisioning register things of the aiot fleet',
    });
    const thingArn = iotArn(this, 'thing', '*');
    const certArn = iotArn(this, 'cert', '*');
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iot:CreateThing', 'iot:DescribeThing', 'iot:UpdateThing', 'iot:AddThingToThingGroup'],
        resources: [thingArn, iotArn(this, 'thinggroup', props.fleet.thingGroup.thingGroupName!)],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iot:DescribeThingType'],
        resources: [iotArn(this, 'thingtype', props.fleet.thingType.thingTypeName!)],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'iot:AttachPolicy',
          'iot:AttachThingPrincipal',
          'iot:DescribeCertificate',
          'iot:UpdateCertificate',
        ],
        resources: [certArn, thingArn, iotArn(this, 'policy', props.fleet.devicePolicy.policyName!)],
      }),
    );

    const unknownAtDeploy =
      'Things are named by serial numbers and certificates created at provisioning time, so neither is known at deploy time; ' +
      'the template and the pre-provisioning hook decide which are created.';
    for (const resource of ['thing/*', 'cert/*']) {
      acknowledge(role, `IAM5[Resource::${nagArn(this, 'iot', resource)}]`, unknownAtDeploy);
    }
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
          { Effect: 'Allow', Action: 'iot:Connect', Resource: iotArn(this, 'client', '*') },
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
