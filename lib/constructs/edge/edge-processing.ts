import { Construct } from 'constructs';
import {
  DEFAULT_EDGE_CONFIG,
  type EdgeConfig,
  type EdgeConfigInput,
} from '../../../greengrass/anomaly-detector/config';
import { AnomalyDetectorComponent } from './anomaly-detector-component';
import {
  bridgeConfig,
  CLIENT_DEVICE_COMPONENT_VERSIONS,
  CLIENT_DEVICE_COMPONENTS,
  clientDeviceAuthConfig,
} from './client-devices';
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
  /**
   * Sites whose devices connect to their core over MQTT: the client device components (auth,
   * Moquette broker, MQTT bridge) are deployed with these sites in their device policy.
   * @default none: no client device components, devices publish to IoT Core directly
   */
  readonly sites?: readonly string[];
  /**
   * The prefix for the longest stage name, for the size check of the core policy.
   * @default namePrefix
   */
  readonly longestNamePrefix?: string;
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
    this.access = new CoreDeviceAccess(this, 'CoreAccess', {
      namePrefix: props.namePrefix,
      longestNamePrefix: props.longestNamePrefix,
    });
    this.component.grantArtifactRead(this.access.tokenExchangeRole);
    this.deployment = new EdgeDeployment(this, 'Deployment', {
      namePrefix: props.namePrefix,
      component: this.component,
      configuration: props.configuration,
      extraComponents: { ...clientDeviceComponents(props.sites ?? []), ...props.extraComponents },
    });
  }
}

/** The client device components and their configuration for `sites`; none without sites. */
function clientDeviceComponents(
  sites: readonly string[],
): NonNullable<EdgeDeploymentProps['extraComponents']> {
  if (sites.length === 0) return {};
  const v = CLIENT_DEVICE_COMPONENT_VERSIONS;
  const c = CLIENT_DEVICE_COMPONENTS;
  return {
    [c.auth]: { version: v.auth, merge: clientDeviceAuthConfig(sites) },
    [c.broker]: { version: v.broker },
    [c.bridge]: { version: v.bridge, merge: bridgeConfig(sites, DEFAULT_EDGE_CONFIG.actuation.command) },
  };
}
