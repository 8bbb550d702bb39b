import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { DETECTOR_STATE_ATTRIBUTES } from '../../../lambda/shared/dynamodb-detector-state';
import { acknowledge, REASONS } from '../common/nag';

export interface DetectorStateTableProps {
  /** Customer key the table is encrypted with. */
  readonly encryptionKey: kms.IKey;
}

/**
 * Per-device detector state of the stream path (`core/ports/detector-state.ts`), so a cold start
 * resumes each device's detector instead of relearning it: keyed by device id, on demand, a TTL
 * attribute so a retired device's state goes away, point-in-time recovery on (a lost table means
 * every device relearns at once).
 */
export class DetectorStateTable extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: DetectorStateTableProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: DETECTOR_STATE_ATTRIBUTES.key, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: DETECTOR_STATE_ATTRIBUTES.ttl,
      // Learned state, rebuilt by relearning if lost: no need to keep it when the stack goes.
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }

  /**
   * Lets `fn` read and write states in batches and tells it the table: environment and permission
   * together. Only BatchGetItem and BatchWriteItem (what the adapter calls); the key grant is
   * separate, as the CDK `Table.grant` documentation says for a customer key.
   */
  grantStates(fn: lambda.Function): void {
    fn.addEnvironment('DETECTOR_STATE_TABLE', this.table.tableName);
    this.table.grant(fn, 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem');
    this.table.encryptionKey!.grantEncryptDecrypt(fn);
    acknowledge(fn.role!, 'IAM5[Action::kms:GenerateDataKey*]', REASONS.kmsGrant);
    acknowledge(fn.role!, 'IAM5[Action::kms:ReEncrypt*]', REASONS.kmsGrant);
  }
}
