import { z } from 'zod';
import type { WorkOrderStore } from '../../ports';
import { SEVERITIES, severityRank } from '../../severity';
import { OpenWorkOrderSchema, WorkOrderNotFound } from '../../workorders';

import { AnomalyResponseInputSchema } from './start';

export const WorkOrderTaskSchema = z.discriminatedUnion('action', [
  z.strictObject({
    action: z.literal('open'),
    input: AnomalyResponseInputSchema,
    severity: z.enum(SEVERITIES),
    reason: z.string().min(1),
    execution: z.string().min(1).optional(),
  }),
  z.strictObject({ action: z.literal('status'), id: z.string().min(1) }),
  z.strictObject({ action: z.literal('escalate'), id: z.string().min(1), note: z.string().max(1024) }),
]);
export type WorkOrderTask = z.infer<typeof WorkOrderTaskSchema>;

export type WorkOrderTaskResult =
  | {
      readonly action: 'open';
      readonly created: boolean;
      /** True when the order existed at a lower severity, not closed, and was raised to this one. */
      readonly raised: boolean;
      readonly id: string;
      readonly status: string;
    }
  | { readonly action: 'status'; readonly id: string; readonly status: string }
  | {
      readonly action: 'escalate';
      readonly id: string;
      readonly status: string;
      /** The escalation alert's subject (SNS takes at most 100 characters). */
      readonly subject: string;
    };

/**
 * The work-order steps of the workflow: open (idempotent; an order already opened at a lower
 * severity and not closed is raised to this run's), read status, escalate.
 */
export async function runWorkOrderTask(
  raw: unknown,
  store: WorkOrderStore,
  clock: () => number,
): Promise<WorkOrderTaskResult> {
  const task = WorkOrderTaskSchema.parse(raw);
  switch (task.action) {
    case 'open': {
      const { event, window } = task.input;
      const { created, order } = await store.open(
        OpenWorkOrderSchema.parse({
          deviceId: event.deviceId,
          site: event.site,
          severity: task.severity,
          window,
          score: event.score,
          reason: task.reason.slice(0, 1024),
          ...(task.execution ? { execution: task.execution } : {}),
        }),
        clock(),
      );
      if (created || severityRank(task.severity) <= severityRank(order.severity))
        return { action: 'open', created, raised: false, id: order.id, status: order.status };
      // The episode got worse (a warning run opened the order): raise it, unless it is closed.
      const raise = await store.raiseSeverity(order.id, {
        severity: task.severity,
        at: clock(),
        note: `raised to ${task.severity}: ${task.reason}`.slice(0, 1024),
      });
      return {
        action: 'open',
        created,
        raised: raise.raised,
        id: raise.order.id,
        status: raise.order.status,
      };
    }
    case 'status': {
      const order = await store.get(task.id);
      if (!order) throw new WorkOrderNotFound(task.id);
      return { action: 'status', id: order.id, status: order.status };
    }
    case 'escalate': {
      const order = await store.get(task.id);
      if (!order) throw new WorkOrderNotFound(task.id);
      // Acknowledged in the meantime (between the last poll and now): nothing to escalate.
      const subject = `[aiot] ESCALATED: ${order.deviceId} did not acknowledge safe mode`.slice(0, 99);
      if (order.status !== 'open') return { action: 'escalate', id: order.id, status: order.status, subject };
      const next = await store.updateStatus(task.id, { status: 'escalated', at: clock(), note: task.note });
      return { action: 'escalate', id: next.id, status: next.status, subject };
    }
  }
}
