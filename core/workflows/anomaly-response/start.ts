import { z } from 'zod';
import { escalatesToCritical } from '../../episodes';
import { AnomalyEventSchema } from '../../events';
import { AnomalyWindowSchema, anomalyWindow, DEFAULT_ANOMALY_WINDOW_MS, workOrderId } from '../../workorders';

/** How long the workflow waits for the device to acknowledge safe mode, polled. */
export const AckPolicySchema = z.strictObject({
  pollSeconds: z.number().int().min(1).max(3600),
  maxPolls: z.number().int().min(1).max(1000),
});
export type AckPolicy = z.infer<typeof AckPolicySchema>;
export const DEFAULT_ACK_POLICY: AckPolicy = { pollSeconds: 30, maxPolls: 10 };

/** The execution input. */
export const AnomalyResponseInputSchema = z.strictObject({
  event: AnomalyEventSchema,
  window: AnomalyWindowSchema,
  workOrderId: z.string().min(1),
  ackPolicy: AckPolicySchema,
});
export type AnomalyResponseInput = z.infer<typeof AnomalyResponseInputSchema>;

/**
 * The execution name and input for an anomaly. The name is the device and its anomaly window
 * (the window of the episode's first reading, when the event belongs to an episode),
 * so every duplicate of the same anomaly (edge and cloud both finding it, retries, a storm of
 * events) maps to one execution: Step Functions refuses a second start with the same name.
 * An episode's escalation to critical gets a second name (see below), so it runs once too.
 */
export function anomalyResponseStart(
  event: z.infer<typeof AnomalyEventSchema>,
  options: { windowMs?: number; ackPolicy?: AckPolicy } = {},
): { name: string; input: AnomalyResponseInput } {
  // An episode's events share the window of the reading that opened it.
  const window = anomalyWindow(event.episodeStart ?? event.ts, options.windowMs ?? DEFAULT_ANOMALY_WINDOW_MS);
  // Execution names: ≤ 80 chars of [A-Za-z0-9_-]; device ids are ≤ 128 chars of that alphabet.
  // https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
  // The escalation of an episode to critical runs under its own name, the opening's + `-critical`
  // (the device part cut to 51 so the suffix fits), one run however often it is reported.
  const name = escalatesToCritical(event)
    ? `${event.deviceId.slice(0, 51)}-${window.start}-critical`
    : `${event.deviceId.slice(0, 60)}-${window.start}`;
  return {
    name,
    input: {
      event,
      window,
      workOrderId: workOrderId(event.deviceId, window),
      ackPolicy: options.ackPolicy ?? DEFAULT_ACK_POLICY,
    },
  };
}
