import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface SecureBucketProps {
  /** Customer key for SSE-KMS. */
  readonly encryptionKey: kms.IKey;
  /** Bucket receiving this bucket's server access logs. */
  readonly accessLogsBucket: s3.IBucket;
  /** Days objects are kept; none when undefined. @default none */
  readonly expireAfterDays?: number;
  /** @default false */
  readonly versioned?: boolean;
}

/**
 * A bucket as every bucket of the project must be: SSE-KMS with a bucket key, TLS only, no
 * public access, server access logs, and a lifecycle.
 */
export class SecureBucket extends Construct {
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: `${id}/`,
      versioned: props.versioned ?? false,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          ...(props.expireAfterDays ? { expiration: Duration.days(props.expireAfterDays) } : {}),
          ...(props.versioned ? { noncurrentVersionExpiration: Duration.days(30) } : {}),
        },
      ],
    });
  }
}
