import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SecureBucket } from '../common/secure-bucket';

export interface ModelStorageProps {
  readonly encryptionKey: kms.IKey;
  readonly accessLogsBucket: s3.IBucket;
  /** Days exported training and evaluation data are kept. @default 90 */
  readonly trainingDataDays?: number;
}

/**
 * Where machine learning keeps its data: the training bucket (exports, evaluation sets, scores;
 * expiring) and the model bucket (artifacts and the registry of the model in service; versioned,
 * because the registry is what every later run compares against).
 */
export class ModelStorage extends Construct {
  public readonly trainingBucket: s3.Bucket;
  public readonly modelBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: ModelStorageProps) {
    super(scope, id);
    this.trainingBucket = new SecureBucket(this, 'TrainingData', {
      encryptionKey: props.encryptionKey,
      accessLogsBucket: props.accessLogsBucket,
      expireAfterDays: props.trainingDataDays ?? 90,
    }).bucket;
    this.modelBucket = new SecureBucket(this, 'Models', {
      encryptionKey: props.encryptionKey,
      accessLogsBucket: props.accessLogsBucket,
      versioned: true,
    }).bucket;
  }
}
