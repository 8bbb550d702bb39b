import { z } from 'zod';
import { SeveritySchema, severityRank } from './severity';
import { DeviceIdSchema, SiteSchema } from './telemetry';

/**
 * Work orders: what the anomaly-response workflow opens for a person to look at, and what
 * operators confirm (a real anomaly: a label for retraining) or close. Ports only; the DynamoDB
 * adapter lives in `lambda/shared`, the SQLite one in `local/workflows`.
 */

export const WORK_ORDER_STATUSES = ['open', 'acknowledged', 'confirmed', 'closed', 'escalated'] as const;
export const WorkOrderStatusSchema = z.enum(WORK_ORDER_STATUSES);
export type WorkOrderStatus = z.infer<typeof WorkOrderStatusSchema>;

/**
 * Who may move a work order where. `acknowledged`/`escalated` come from the workflow (the
 * device answered the safe-mode command, or never did); `confirmed`/`closed` from an operator.
 * A closed order is final.
 */
export const WORK_ORDER_TRANSITIONS: Readonly<Record<WorkOrderStatus, readonly WorkOrderStatus[]>> = {
  open: ['acknowledged', 'escalated', 'confirmed', 'closed'],
  acknowledged: ['confirmed', 'closed'],
  escalated: ['acknowledged', 'confirmed', 'closed'],
  confirmed: ['closed'],
  closed: [],
};

/** An operator's verdict: the labels retraining evaluates candidate models against. */
export const WorkOrderLabelSchema = z.enum(['anomaly', 'false-alarm']);
export type WorkOrderLabel = z.infer<typeof WorkOrderLabelSchema>;

/** The time window of readings the anomaly belongs to (epoch ms, end exclusive). */
export const AnomalyWindowSchema = z
  .strictObject({ start: z.number().int().nonnegative(), end: z.number().int().positive() })
  .refine((w) => w.end > w.start, 'window end must be after its start');
export type AnomalyWindow = z.infer<typeof AnomalyWindowSchema>;

export const WorkOrderIdSchema = z
  .string()
  .regex(/^wo-[A-Za-z0-9_.:-]{1,200}$/, 'work order ids look like wo-<device>-<window start>');

export const WorkOrderSchema = z.strictObject({
  id: WorkOrderIdSchema,
  deviceId: DeviceIdSchema,
  site: SiteSchema,
  severity: SeveritySchema,
  status: WorkOrderStatusSchema,
  /** Epoch ms. */
  openedAt: z.number().int().positive(),
  /** Epoch ms of the last status change. */
  updatedAt: z.number().int().positive(),
  window: AnomalyWindowSchema,
  /** Why it was opened (human readable: score, measures, detector). */
  reason: z.string().min(1).max(1024),
  /** The detector score that opened it, in [0, 1]. */
  score: z.number().min(0).max(1),
  /** The workflow execution that opened it (ARN in AWS, run id locally). */
  execution: z.string().min(1).max(2048).optional(),
  /** Set when an operator confirms (anomaly) or closes as a false alarm. */
  label: WorkOrderLabelSchema.optional(),
  /** The last note given with a status change (operator comment, escalation cause, …). */
  note: z.string().max(1024).optional(),
});
export type WorkOrder = z.infer<typeof WorkOrderSchema>;

/** What opening needs; status, timestamps and label are the store's business. */
export const OpenWorkOrderSchema = WorkOrderSchema.pick({
  deviceId: true,
  site: true,
  severity: true,
  window: true,
  reason: true,
  score: true,
  execution: true,
});
export type OpenWorkOrder = z.infer<typeof OpenWorkOrderSchema>;

export const StatusChangeSchema = z.strictObject({
  status: WorkOrderStatusSchema,
  /** Epoch ms of the change. */
  at: z.number().int().positive(),
  note: z.string().max(1024).optional(),
  label: WorkOrderLabelSchema.optional(),
});
export type StatusChange = z.infer<typeof StatusChangeSchema>;

/**
 * Raising an order's severity (an anomaly episode that opened as a warning and escalated): only
 * upwards, and never on a closed order.
 */
export const SeverityRaiseSchema = z.strictObject({
  severity: SeveritySchema,
  /** Epoch ms of the change. */
  at: z.number().int().positive(),
  note: z.string().max(1024).optional(),
});
export type SeverityRaise = z.infer<typeof SeverityRaiseSchema>;

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 25;

export class WorkOrderNotFound extends Error {
  override readonly name = 'WorkOrderNotFound';
  constructor(readonly id: string) {
    super(`no work order ${id}`);
  }
}

export class InvalidTransition extends Error {
  override readonly name = 'InvalidTransition';
  constructor(
    readonly id: string,
    readonly from: WorkOrderStatus,
    readonly to: WorkOrderStatus,
  ) {
    super(`work order ${id} cannot go from ${from} to ${to}`);
  }
}

/** The idempotency key: one order per device and anomaly window. */
export function workOrderId(deviceId: string, window: AnomalyWindow): string {
  return `wo-${deviceId}-${window.start}`;
}

/** Default width of the window duplicate anomalies of one device are folded into. */
export const DEFAULT_ANOMALY_WINDOW_MS = 15 * 60_000;

/** The window (aligned to `widthMs`) that an anomaly at `ts` falls in. */
export function anomalyWindow(ts: number, widthMs: number = DEFAULT_ANOMALY_WINDOW_MS): AnomalyWindow {
  const start = Math.floor(ts / widthMs) * widthMs;
  return { start, end: start + widthMs };
}

/** Whether `from → to` is allowed (the same status counts: retries are no-ops). */
export function canTransition(from: WorkOrderStatus, to: WorkOrderStatus): boolean {
  return from === to || WORK_ORDER_TRANSITIONS[from].includes(to);
}

/** Applies a change to an order in memory; adapters persist the result conditionally. */
export function applyStatusChange(order: WorkOrder, change: StatusChange): WorkOrder {
  if (!canTransition(order.status, change.status)) {
    throw new InvalidTransition(order.id, order.status, change.status);
  }
  if (order.status === change.status && change.label === undefined && change.note === undefined) return order;
  const label = change.label ?? (change.status === 'confirmed' ? 'anomaly' : undefined) ?? order.label;
  return WorkOrderSchema.parse({
    ...order,
    status: change.status,
    updatedAt: Math.max(order.updatedAt, change.at),
    ...(label ? { label } : {}),
    ...(change.note !== undefined ? { note: change.note } : {}),
  });
}

/**
 * Applies a severity raise to an order in memory: the same order back (nothing to do) when it is
 * closed or already at that severity or above; adapters persist the result conditionally.
 */
export function applySeverityRaise(order: WorkOrder, raise: SeverityRaise): WorkOrder {
  const change = SeverityRaiseSchema.parse(raise);
  if (order.status === 'closed' || severityRank(order.severity) >= severityRank(change.severity))
    return order;
  return WorkOrderSchema.parse({
    ...order,
    severity: change.severity,
    updatedAt: Math.max(order.updatedAt, change.at),
    ...(change.note !== undefined ? { note: change.note } : {}),
  });
}

/** Builds a new order from the open request. */
export function newWorkOrder(input: OpenWorkOrder, at: number): WorkOrder {
  const parsed = OpenWorkOrderSchema.parse(input);
  return WorkOrderSchema.parse({
    ...parsed,
    id: workOrderId(parsed.deviceId, parsed.window),
    status: 'open',
    openedAt: at,
    updatedAt: at,
  });
}

/** The listing order of every adapter: newest first, the higher id first among orders opened together. */
export function newestFirst(
  a: Pick<WorkOrder, 'openedAt' | 'id'>,
  b: Pick<WorkOrder, 'openedAt' | 'id'>,
): number {
  return b.openedAt - a.openedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new RangeError(`limit must be an integer in 1..${MAX_PAGE_SIZE}`);
  }
  return limit;
}
