import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { STATUS_INDEX } from '../../../lambda/shared/dynamodb-work-orders';
import { acknowledge, REASONS } from '../common/nag';

/** The item actions of the anomaly-response work-order task (open, status, escalate, raise). */
export const WORK_ORDER_TASK_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
] as const;

export interface WorkOrderTableProps {
  /** Customer key the table is encrypted with. */
  readonly encryptionKey: kms.IKey;
}

/**
 * The work orders (`core/workorders`): keyed by id (device + anomaly window), so opening is a
 * conditional put; a status index lists them newest first; point-in-time recovery on, because
 * confirmed orders are the labels models are judged by.
 */
export class WorkOrderTable extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: WorkOrderTableProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: STATUS_INDEX,
      partitionKey: { name: 'status', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'openedAt', type: dynamodb.AttributeType.NUMBER },
    });
  }

  /** Lets `fn` read and write orders and tells it the table: environment and permission together. */
  grantReadWrite(fn: lambda.Function): void {
    fn.addEnvironment('WORK_ORDERS_TABLE', this.table.tableName);
    this.table.grantReadWriteData(fn);
    this.acknowledgeGrant(fn);
  }

  /**
   * What the anomaly-response work-order task does and nothing more: GetItem (read, status),
   * PutItem (the conditional open, a status change), UpdateItem (the conditional severity raise),
   * with the key to encrypt and decrypt. No Scan, Query, DeleteItem or batch actions.
   * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
   */
  grantOrderTask(fn: lambda.Function): void {
    fn.addEnvironment('WORK_ORDERS_TABLE', this.table.tableName);
    this.table.grant(fn, ...WORK_ORDER_TASK_ACTIONS);
    this.table.encryptionKey?.grantEncryptDecrypt(fn);
    this.acknowledgeGrant(fn);
  }

  /** Read-only access (the query API, the evaluation step). */
  grantRead(fn: lambda.Function): void {
    fn.addEnvironment('WORK_ORDERS_TABLE', this.table.tableName);
    this.table.grantReadData(fn);
    this.acknowledgeGrant(fn);
  }

  /** The wildcards of CDK's table grants: the key actions and the table's own indexes. */
  private acknowledgeGrant(fn: lambda.Function): void {
    const table = Stack.of(this).getLogicalId(this.table.node.defaultChild as dynamodb.CfnTable);
    acknowledge(fn.role!, 'IAM5[Action::kms:GenerateDataKey*]', REASONS.kmsGrant);
    acknowledge(fn.role!, 'IAM5[Action::kms:ReEncrypt*]', REASONS.kmsGrant);
    acknowledge(
      fn.role!,
      `IAM5[Resource::<${table}.Arn>/index/*]`,
      'The CDK table grant covers the indexes of this one table (the status index lists orders).',
    );
  }
}
