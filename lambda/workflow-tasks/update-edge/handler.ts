import {
  CreateDeploymentCommand,
  GetDeploymentCommand,
  type GreengrassV2Client,
  ListDeploymentsCommand,
} from '@aws-sdk/client-greengrassv2';
import { PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { EdgeThresholdsSchema, mergeEdgeThresholds } from '../../../core/workflows/retraining';

export interface UpdateEdgeDeps {
  readonly client: GreengrassV2Client;
  /** The core devices' thing group; empty when the stack has no edge. */
  readonly targetArn: string;
  readonly componentName: string;
  readonly ssm: SSMClient;
  /**
   * The parameter the stack's own deployment reads the detector thresholds from (a CloudFormation
   * dynamic reference), so a stack update deploys the thresholds retraining pushed last.
   */
  readonly thresholdsParameter: string;
}

export type UpdateEdgeResult =
  | { readonly status: 'deployed'; readonly deploymentId: string; readonly revisedFrom: string }
  | { readonly status: 'skipped'; readonly reason: string };

/**
 * Records the new detector thresholds where the stack's deployment reads them, then revises the
 * latest Greengrass deployment of the core group with them merged into the anomaly detector's
 * configuration; components, versions and policies stay.
 */
export function makeHandler(deps: UpdateEdgeDeps) {
  return async (event: unknown): Promise<UpdateEdgeResult> => {
    const { thresholds } = EdgeThresholdsSchema.parse(event);
    if (!deps.targetArn) return { status: 'skipped', reason: 'no edge target configured' };
    // First, so a stack update from here on deploys these thresholds too.
    await deps.ssm.send(
      new PutParameterCommand({
        Name: deps.thresholdsParameter,
        Value: JSON.stringify({ warning: thresholds.warning, critical: thresholds.critical }),
        Overwrite: true,
      }),
    );
    const list = await deps.client.send(
      new ListDeploymentsCommand({ targetArn: deps.targetArn, historyFilter: 'LATEST_ONLY', maxResults: 1 }),
    );
    const latest = list.deployments?.[0]?.deploymentId;
    if (!latest) return { status: 'skipped', reason: `no deployment on ${deps.targetArn} yet` };
    const current = await deps.client.send(new GetDeploymentCommand({ deploymentId: latest }));
    const components = { ...(current.components ?? {}) };
    const detector = components[deps.componentName];
    if (!detector) throw new Error(`the latest deployment ${latest} does not run ${deps.componentName}`);
    components[deps.componentName] = {
      ...detector,
      configurationUpdate: {
        ...detector.configurationUpdate,
        merge: mergeEdgeThresholds(detector.configurationUpdate?.merge, thresholds),
      },
    };
    const created = await deps.client.send(
      new CreateDeploymentCommand({
        targetArn: deps.targetArn,
        deploymentName: current.deploymentName,
        components,
        deploymentPolicies: current.deploymentPolicies,
        iotJobConfiguration: current.iotJobConfiguration,
      }),
    );
    return { status: 'deployed', deploymentId: created.deploymentId!, revisedFrom: latest };
  };
}
