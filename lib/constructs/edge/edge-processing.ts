import { Construct } from 'constructs';
import type { EdgeConfig, EdgeConfigInput } from '../../../greengrass/anomaly-detector/config';
import { AnomalyDetectorComponent } from './anomaly-detector-component';
import { CoreDeviceAccess } from './core-device-access';
import { EdgeDeployment, type EdgeDeploymentProps } from './edge-deployment';

export interface EdgeProcessingProps {
  /** Prefix of the names (the stage keeps deployments apart). */
  readonly namePrefix: string;
  /**
   * Default configuration in the recipe.
   * @default the component's DEFAULT_EDGE_CONFIG
   */
  readonly defaultConfig?: EdgeConfig;
  /**
   * Configuration the deployment merges over the defaults.
   * @default none
   */
  readonly configuration?: EdgeConfigInput;
  /**
   * Further Greengrass components to deploy with the detector.
   * @default none
   */
  readonly extraComponents?: EdgeDeploymentProps['extraComponents'];
}

/**
 * Edge processing on Greengrass v2: the anomaly-detector component, what core devices may do
 * (token exchange role, role alias, IoT policy) and the deployment to the core devices' group.
 */
export class EdgeProcessing extends Construct {
  public readonly component: AnomalyDetectorComponent;
  public readonly access: CoreDeviceAccess;
  public readonly deployment: EdgeDeployment;

  constructor(scope: Construct, id: string, props: EdgeProcessingProps) {
    super(scope, id);
    this.component = new AnomalyDetectorComponent(this, 'AnomalyDetector', {
      defaultConfig: props.defaultConfig,
    });
    this.access = new CoreDeviceAccess(this, 'CoreAccess', { namePrefix: props.namePrefix });
    this.component.grantArtifactRead(this.access.tokenExchangeRole);
    this.deployment = new EdgeDeployment(this, 'Deployment', {
      namePrefix: props.namePrefix,
      component: this.component,
      configuration: props.configuration,
      extraComponents: props.extraComponents,
    });
  }
}
