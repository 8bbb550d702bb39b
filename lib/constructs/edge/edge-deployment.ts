import * as greengrassv2 from 'aws-cdk-lib/aws-greengrassv2';
import * as iot from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import { type EdgeConfigInput, parseEdgeConfig } from '../../../greengrass/anomaly-detector/config';
import { iotArn } from '../iot/arns';
import type { AnomalyDetectorComponent } from './anomaly-detector-component';

export interface EdgeDeploymentProps {
  readonly namePrefix: string;
  readonly component: AnomalyDetectorComponent;
  /**
   * Configuration merged over the component's defaults on every core of the group (validated
   * at synth). This is where retrained detector settings reach the edge.
   * @default no merge: the recipe's defaults
   */
  readonly configuration?: EdgeConfigInput;
  /**
   * Further components to deploy with it, by name: e.g. the client-device components
   * (`aws.greengrass.clientdevices.mqtt.Moquette`, `…Bridge`, `…Auth`) that let devices near
   * the core reach its local topics.
   * @default none
   */
  readonly extraComponents?: Record<string, { readonly version: string; readonly merge?: unknown }>;
}

/**
 * The core devices' thing group and the Greengrass deployment to it: every core that joins the
 * group runs this component version with this configuration; a failed update rolls back.
 */
export class EdgeDeployment extends Construct {
  public readonly coreGroup: iot.CfnThingGroup;
  public readonly deployment: greengrassv2.CfnDeployment;

  constructor(scope: Construct, id: string, props: EdgeDeploymentProps) {
    super(scope, id);
    // Fails synth with the key at fault rather than a failed deployment on every core.
    if (props.configuration) parseEdgeConfig(props.configuration);
    const groupName = `${props.namePrefix}-edge-cores`;
    this.coreGroup = new iot.CfnThingGroup(this, 'CoreGroup', {
      thingGroupName: groupName,
      thingGroupProperties: {
        thingGroupDescription: 'Greengrass core devices running the aiot edge detector',
      },
    });
    const components: Record<string, greengrassv2.CfnDeployment.ComponentDeploymentSpecificationProperty> = {
      [props.component.componentName]: {
        componentVersion: props.component.version,
        ...(props.configuration && { configurationUpdate: { merge: JSON.stringify(props.configuration) } }),
      },
    };
    for (const [name, c] of Object.entries(props.extraComponents ?? {})) {
      components[name] = {
        componentVersion: c.version,
        ...(c.merge !== undefined && { configurationUpdate: { merge: JSON.stringify(c.merge) } }),
      };
    }
    this.deployment = new greengrassv2.CfnDeployment(this, 'Deployment', {
      targetArn: iotArn(this, 'thinggroup', groupName),
      deploymentName: `${props.namePrefix}-edge`,
      components,
      deploymentPolicies: {
        failureHandlingPolicy: 'ROLLBACK',
        componentUpdatePolicy: { action: 'NOTIFY_COMPONENTS', timeoutInSeconds: 60 },
        configurationValidationPolicy: { timeoutInSeconds: 30 },
      },
    });
    this.deployment.node.addDependency(this.coreGroup, props.component.componentVersion);
  }
}
