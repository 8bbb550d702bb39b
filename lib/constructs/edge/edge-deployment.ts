import * as greengrassv2 from 'aws-cdk-lib/aws-greengrassv2';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import {
  DEFAULT_EDGE_CONFIG,
  type EdgeConfigInput,
  parseEdgeConfig,
} from '../../../greengrass/anomaly-detector/config';
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
 *
 * Retraining pushes new detector thresholds as a revision of the group's latest deployment, and
 * records them in {@link thresholdsParameter}. The deployment here reads its thresholds from that
 * parameter (a CloudFormation `ssm` dynamic reference, resolved to the parameter's latest value
 * whenever a stack operation deploys it:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-ssm.html),
 * so a stack update that replaces the deployment keeps the thresholds retraining pushed.
 */
export class EdgeDeployment extends Construct {
  public readonly coreGroup: iot.CfnThingGroup;
  public readonly deployment: greengrassv2.CfnDeployment;
  /** The detector severity thresholds in force (`{"warning":…,"critical":…}`); retraining writes it. */
  public readonly thresholdsParameter: ssm.StringParameter;

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
    const initial =
      parseEdgeConfig(props.configuration ?? {}).config.detector.severity ??
      DEFAULT_EDGE_CONFIG.detector.severity;
    const parameterName = `/${props.namePrefix}/edge/detector-severity`;
    this.thresholdsParameter = new ssm.StringParameter(this, 'Thresholds', {
      parameterName,
      description:
        'Detector severity thresholds of the edge; retraining updates it, stack deployments read it',
      stringValue: JSON.stringify(initial),
    });
    const components: Record<string, greengrassv2.CfnDeployment.ComponentDeploymentSpecificationProperty> = {
      [props.component.componentName]: {
        componentVersion: props.component.version,
        configurationUpdate: {
          merge: mergeWithThresholdsFrom(parameterName, props.configuration ?? {}),
        },
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
    this.deployment.node.addDependency(
      this.coreGroup,
      props.component.componentVersion,
      this.thresholdsParameter,
    );
  }
}

/** Stands for the thresholds in the merge JSON until the dynamic reference replaces it. */
const SEVERITY_SLOT = '"__aiot_detector_severity__"';

/**
 * The component's merge configuration with `detector.severity` read from the parameter. The
 * reference is followed by a space: `{{resolve:…}}` must not run into the JSON's closing braces.
 */
export function mergeWithThresholdsFrom(parameterName: string, configuration: EdgeConfigInput): string {
  const detector = (configuration.detector ?? {}) as Record<string, unknown>;
  const json = JSON.stringify({
    ...configuration,
    detector: { ...detector, severity: JSON.parse(SEVERITY_SLOT) },
  });
  return json.replace(SEVERITY_SLOT, `{{resolve:ssm:${parameterName}}} `);
}
