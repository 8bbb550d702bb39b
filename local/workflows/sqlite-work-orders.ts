import type { Database } from 'better-sqlite3';
import { CursorKeys, decodeCursor, encodeCursor } from '../../core/cursor';
import type { ListWorkOrders, WorkOrderPage, WorkOrderStore } from '../../core/ports';
import {
  applySeverityRaise,
  applyStatusChange,
  newWorkOrder,
  type OpenWorkOrder,
  pageSize,
  type SeverityRaise,
  type StatusChange,
  type WorkOrder,
  WorkOrderNotFound,
  WorkOrderSchema,
} from '../../core/workorders';

export const WORK_ORDERS_TABLE = 'work_orders';

interface Row {
  readonly id: string;
  readonly body: string;
}

/**
 * The WorkOrderStore port on SQLite (the local runtime's one database file). The order is kept
 * whole as JSON; status and opening time are columns for the listing index. Statements run
 * synchronously, so the read-check-write of a status change cannot interleave with another.
 */
export class SqliteWorkOrderStore implements WorkOrderStore {
  private readonly insert;
  private readonly select;
  private readonly update;

  constructor(private readonly db: Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS ${WORK_ORDERS_TABLE} (
      id TEXT PRIMARY KEY,
      status TEXT NOT NULL,
      opened_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      body TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ${WORK_ORDERS_TABLE}_by_status ON ${WORK_ORDERS_TABLE} (status, opened_at DESC, id DESC);
    CREATE INDEX IF NOT EXISTS ${WORK_ORDERS_TABLE}_by_time ON ${WORK_ORDERS_TABLE} (opened_at DESC, id DESC);`);
    this.insert = db.prepare(
      `INSERT INTO ${WORK_ORDERS_TABLE} (id, status, opened_at, updated_at, body) VALUES (@id, @status, @openedAt, @updatedAt, @body) ON CONFLICT(id) DO NOTHING`,
    );
    this.select = db.prepare<[string], Row>(`SELECT id, body FROM ${WORK_ORDERS_TABLE} WHERE id = ?`);
    this.update = db.prepare(
      `UPDATE ${WORK_ORDERS_TABLE} SET status = @status, updated_at = @updatedAt, body = @body WHERE id = @id`,
    );
  }

  async open(input: OpenWorkOrder, at: number): Promise<{ created: boolean; order: WorkOrder }> {
    const order = newWorkOrder(input, at);
    const info = this.insert.run({ ...order, body: JSON.stringify(order) });
    if (info.changes === 1) return { created: true, order };
    return { created: false, order: this.read(order.id)! };
  }

  async get(id: string): Promise<WorkOrder | undefined> {
    return this.read(id);
  }

  async list(query: ListWorkOrders = {}): Promise<WorkOrderPage> {
    const limit = pageSize(query.limit);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, CursorKeys.workOrder);
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: limit + 1 };
    if (query.status) {
      where.push('status = @status');
      params.status = query.status;
    }
    if (after) {
      where.push('(opened_at < @openedAt OR (opened_at = @openedAt AND id < @id))');
      [params.openedAt, params.id] = after;
    }
    const rows = this.db
      .prepare<Record<string, unknown>, Row>(
        `SELECT id, body FROM ${WORK_ORDERS_TABLE} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY opened_at DESC, id DESC LIMIT @limit`,
      )
      .all(params);
    const items = rows.slice(0, limit).map((r) => WorkOrderSchema.parse(JSON.parse(r.body)));
    const last = items[items.length - 1];
    return rows.length > limit && last
      ? { items, cursor: encodeCursor([last.openedAt, last.id]) }
      : { items };
  }

  async updateStatus(id: string, change: StatusChange): Promise<WorkOrder> {
    const current = this.read(id);
    if (!current) throw new WorkOrderNotFound(id);
    const next = applyStatusChange(current, change);
    if (next !== current)
      this.update.run({ id, status: next.status, updatedAt: next.updatedAt, body: JSON.stringify(next) });
    return next;
  }

  async raiseSeverity(id: string, raise: SeverityRaise): Promise<{ raised: boolean; order: WorkOrder }> {
    const current = this.read(id);
    if (!current) throw new WorkOrderNotFound(id);
    const next = applySeverityRaise(current, raise);
    if (next === current) return { raised: false, order: current };
    this.update.run({ id, status: next.status, updatedAt: next.updatedAt, body: JSON.stringify(next) });
    return { raised: true, order: next };
  }

  private read(id: string): WorkOrder | undefined {
    const row = this.select.get(id);
    return row ? WorkOrderSchema.parse(JSON.parse(row.body)) : undefined;
  }
}
