import { join } from 'node:path';
import { AssetHashType, DockerImage, Stack } from 'aws-cdk-lib';
import * as greengrassv2 from 'aws-cdk-lib/aws-greengrassv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { bundleAnomalyDetector } from '../../../greengrass/anomaly-detector/bundle';
import { COMPONENT_NAME, type EdgeConfig } from '../../../greengrass/anomaly-detector/config';
import { anomalyDetectorRecipe, contentVersion } from '../../../greengrass/anomaly-detector/recipe';

export interface AnomalyDetectorComponentProps {
  /**
   * Default configuration shipped in the recipe.
   * @default DEFAULT_EDGE_CONFIG of the component
   */
  readonly defaultConfig?: EdgeConfig;
}

/**
 * The anomaly-detector component version: the esbuild bundle as an S3 asset and the recipe
 * inline. Versions are immutable in Greengrass, so the version is derived from the artifact's
 * hash and the recipe: any change to either is a new version, and an unchanged build keeps its own.
 */
export class AnomalyDetectorComponent extends Construct {
  public readonly artifact: s3assets.Asset;
  public readonly componentVersion: greengrassv2.CfnComponentVersion;
  public readonly componentName = COMPONENT_NAME;
  public readonly version: string;

  constructor(scope: Construct, id: string, props: AnomalyDetectorComponentProps = {}) {
    super(scope, id);
    this.artifact = new s3assets.Asset(this, 'Artifact', {
      path: join(__dirname, '../../../greengrass/anomaly-detector'),
      // The bundle also holds core/ code: hash what was built, not the folder it came from.
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Never used: local bundling with esbuild always succeeds (there is no Docker here).
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:20'),
        local: {
          tryBundle(outputDir: string): boolean {
            bundleAnomalyDetector(outputDir);
            return true;
          },
        },
      },
    });
    // The recipe with a stand-in URI: its tokens would differ between synths, the hash does not.
    const stable = anomalyDetectorRecipe({
      artifactUri: `s3://artifact/${this.artifact.assetHash}.zip`,
      version: '0.0.0',
      defaultConfig: props.defaultConfig,
    });
    this.version = contentVersion(JSON.stringify(stable));
    const recipe = anomalyDetectorRecipe({
      // Built from its parts so the object key (the unpacked folder's name) stays readable.
      artifactUri: `s3://${this.artifact.s3BucketName}/${this.artifact.s3ObjectKey}`,
      version: this.version,
      defaultConfig: props.defaultConfig,
    });
    this.componentVersion = new greengrassv2.CfnComponentVersion(this, 'Version', {
      inlineRecipe: Stack.of(this).toJsonString(recipe),
    });
  }

  /** Lets a core device (its token exchange role) download exactly this artifact. */
  grantArtifactRead(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.artifact.bucket.arnForObjects(this.artifact.s3ObjectKey)],
      }),
    );
  }
}
