import { z } from 'zod';
import type { WorkOrderStore } from '../../ports';
import { SEVERITIES } from '../../severity';
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
  | { readonly action: 'open'; readonly created: boolean; readonly id: string; readonly status: string }
  | { readonly action: 'status'; readonly id: string; readonly status: string }
  | {
      readonly action: 'escalate';
      readonly id: string;
      readonly status: string;
      /** The escalation alert's subject (SNS takes at most 100 characters). */
      readonly subject: string;
    };

/** The work-order steps of the workflow: open (idempotent), read status, escalate. */
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
      return { action: 'open', created, id: order.id, status: order.status };
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
