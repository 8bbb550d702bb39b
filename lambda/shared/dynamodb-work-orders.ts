import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { CursorKeys, decodeCursor, encodeCursor } from '../../core/cursor';
import type { ListWorkOrders, WorkOrderPage, WorkOrderStore } from '../../core/ports';
import {
  applySeverityRaise,
  applyStatusChange,
  newestFirst,
  newWorkOrder,
  type OpenWorkOrder,
  pageSize,
  type SeverityRaise,
  type StatusChange,
  WORK_ORDER_STATUSES,
  type WorkOrder,
  WorkOrderNotFound,
  WorkOrderSchema,
  type WorkOrderStatus,
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

  /**
   * Newest first (opening time, then id), from the status index: one status's partition, or
   * every status's merged. The cursor is the last order's (openedAt, id), as in every adapter.
   */
  async list(query: ListWorkOrders = {}): Promise<WorkOrderPage> {
    const limit = pageSize(query.limit);
    const [openedAt, id] = query.cursor === undefined ? [] : decodeCursor(query.cursor, CursorKeys.workOrder);
    const after = openedAt === undefined || id === undefined ? undefined : { openedAt, id };
    const statuses = query.status ? [query.status] : WORK_ORDER_STATUSES;
    const candidates = (await Promise.all(statuses.map((s) => this.newestOf(s, limit + 1, after))))
      .flat()
      .sort(newestFirst);
    const items = candidates.slice(0, limit);
    const last = items[items.length - 1];
    return candidates.length > limit && last
      ? { items, cursor: encodeCursor([last.openedAt, last.id]) }
      : { items };
  }

  /**
   * At least `count` orders of one status below the cursor (all there are, if fewer), read newest
   * first from the index. The index orders by openedAt alone, so reading goes on while orders
   * still share the openedAt of the `count`-th: any of them may come first by id.
   */
  private async newestOf(
    status: WorkOrderStatus,
    count: number,
    after: { openedAt: number; id: string } | undefined,
  ): Promise<WorkOrder[]> {
    const out: WorkOrder[] = [];
    let lastRead = Number.POSITIVE_INFINITY;
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const res = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: STATUS_INDEX,
          KeyConditionExpression: after ? '#s = :s AND openedAt <= :t' : '#s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': status, ...(after ? { ':t': after.openedAt } : {}) },
          ScanIndexForward: false,
          Limit: count,
          ExclusiveStartKey,
        }),
      );
      for (const item of res.Items ?? []) {
        const order = WorkOrderSchema.parse(item);
        lastRead = order.openedAt;
        if (!after || newestFirst(after, order) < 0) out.push(order);
      }
      ExclusiveStartKey = res.LastEvaluatedKey;
    } while (ExclusiveStartKey && (out.length < count || lastRead === out[count - 1]!.openedAt));
    return out;
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

  /**
   * UpdateItem of severity, updatedAt (and note) conditioned on the severity, status and time
   * the order was read with, so a concurrent status change or raise is never overwritten; a lost
   * race reads again and decides again.
   * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html
   */
  async raiseSeverity(id: string, raise: SeverityRaise): Promise<{ raised: boolean; order: WorkOrder }> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(id);
      if (!current) throw new WorkOrderNotFound(id);
      const next = applySeverityRaise(current, raise);
      if (next === current) return { raised: false, order: current };
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { id },
            UpdateExpression:
              next.note !== undefined
                ? 'SET #sev = :to, updatedAt = :now, #n = :note'
                : 'SET #sev = :to, updatedAt = :now',
            ConditionExpression: '#sev = :from AND #s = :status AND updatedAt = :at',
            ExpressionAttributeNames: {
              '#sev': 'severity',
              '#s': 'status',
              ...(next.note !== undefined ? { '#n': 'note' } : {}),
            },
            ExpressionAttributeValues: {
              ':to': next.severity,
              ':now': next.updatedAt,
              ':from': current.severity,
              ':status': current.status,
              ':at': current.updatedAt,
              ...(next.note !== undefined ? { ':note': next.note } : {}),
            },
          }),
        );
        return { raised: true, order: next };
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException) || attempt >= MAX_UPDATE_ATTEMPTS) throw err;
      }
    }
  }
}
