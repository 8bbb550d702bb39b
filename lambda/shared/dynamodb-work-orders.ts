import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { CursorKeys, decodeCursor, encodeCursor } from '../../core/cursor';
import type { ListWorkOrders, WorkOrderPage, WorkOrderStore } from '../../core/ports';
import {
  applyStatusChange,
  newWorkOrder,
  type OpenWorkOrder,
  pageSize,
  type StatusChange,
  type WorkOrder,
  WorkOrderNotFound,
  WorkOrderSchema,
} from '../../core/workorders';

/** The status index: partition `status`, sort `openedAt`, so a status lists newest first. */
export const STATUS_INDEX = 'byStatus';

/** Retries of a status change that lost a race with another writer. */
const MAX_UPDATE_ATTEMPTS = 3;

/**
 * The WorkOrderStore port on DynamoDB. Opening is a conditional put on the id (derived from
 * device and window), so duplicates and retried steps find the existing order; a status change
 * is a put conditioned on the status and time it was read with (optimistic locking).
 */
export class DynamoDbWorkOrderStore implements WorkOrderStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async open(input: OpenWorkOrder, at: number): Promise<{ created: boolean; order: WorkOrder }> {
    const order = newWorkOrder(input, at);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: order,
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
      return { created: true, order };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const existing = await this.get(order.id);
      if (!existing) throw new Error(`work order ${order.id} exists but cannot be read`);
      return { created: false, order: existing };
    }
  }

  async get(id: string): Promise<WorkOrder | undefined> {
    const res = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }),
    );
    return res.Item ? WorkOrderSchema.parse(res.Item) : undefined;
  }

  /** With a status: newest first from the status index. Without: a table scan, unordered. */
  async list(query: ListWorkOrders = {}): Promise<WorkOrderPage> {
    const limit = pageSize(query.limit);
    const ExclusiveStartKey =
      query.cursor === undefined ? undefined : decodeCursor(query.cursor, CursorKeys.dynamoWorkOrder);
    const res = query.status
      ? await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: STATUS_INDEX,
            KeyConditionExpression: '#s = :s',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':s': query.status },
            ScanIndexForward: false,
            Limit: limit,
            ExclusiveStartKey,
          }),
        )
      : await this.client.send(
          new ScanCommand({ TableName: this.tableName, Limit: limit, ExclusiveStartKey }),
        );
    const items = (res.Items ?? []).map((i) => WorkOrderSchema.parse(i));
    return res.LastEvaluatedKey ? { items, cursor: encodeCursor(res.LastEvaluatedKey) } : { items };
  }

  async updateStatus(id: string, change: StatusChange): Promise<WorkOrder> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(id);
      if (!current) throw new WorkOrderNotFound(id);
      const next = applyStatusChange(current, change);
      if (next === current) return current;
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: next,
            ConditionExpression: '#s = :from AND updatedAt = :at',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':from': current.status, ':at': current.updatedAt },
          }),
        );
        return next;
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException) || attempt >= MAX_UPDATE_ATTEMPTS) throw err;
      }
    }
  }
}
