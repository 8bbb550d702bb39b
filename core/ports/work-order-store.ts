import type { OpenWorkOrder, SeverityRaise, StatusChange, WorkOrder, WorkOrderStatus } from '../workorders';

export interface WorkOrderPage {
  readonly items: readonly WorkOrder[];
  /** Pass back to get the next page; absent on the last page. */
  readonly cursor?: string;
}

export interface ListWorkOrders {
  /** Only orders in this status; all statuses when absent. */
  readonly status?: WorkOrderStatus;
  /** Page size, 1–100. @default 25 */
  readonly limit?: number;
  /** From a previous page. */
  readonly cursor?: string;
}

/**
 * Where work orders live. `open` is idempotent by key: the id is derived from device and
 * window, so a storm of duplicate anomalies (or a retried workflow step) yields one order.
 * Lists are newest first.
 */
export interface WorkOrderStore {
  /** Opens the order, or returns the one already opened for the same device and window. */
  open(input: OpenWorkOrder, at: number): Promise<{ created: boolean; order: WorkOrder }>;
  get(id: string): Promise<WorkOrder | undefined>;
  list(query?: ListWorkOrders): Promise<WorkOrderPage>;
  /**
   * Moves the order to a new status, checked against {@link WORK_ORDER_TRANSITIONS}; a change to
   * the status it already has is a no-op (a retried step). Throws {@link WorkOrderNotFound} or
   * {@link InvalidTransition}.
   */
  updateStatus(id: string, change: StatusChange): Promise<WorkOrder>;
  /**
   * Raises the order's severity (see {@link applySeverityRaise}), conditionally: only when the
   * stored order is below that severity and not closed; otherwise nothing changes and `raised`
   * is false. Status and opening are untouched. Throws {@link WorkOrderNotFound}.
   */
  raiseSeverity(id: string, raise: SeverityRaise): Promise<{ raised: boolean; order: WorkOrder }>;
}

/** A reader of work orders: the `list` of the WorkOrderStore port is all the API needs. */
export interface WorkOrderReader {
  list(query?: ListWorkOrders): Promise<WorkOrderPage>;
}
