import { z } from 'zod';
import { COMMAND_SCHEMA_VERSION, type Command, CommandResponseSchema } from '../commands';
import { DEFAULT_DETECTOR_CONFIG } from '../detector';
import { AnomalyEventSchema } from '../events';
import type { DeviceDirectory, HistoryReader, TelemetryRecord, WorkOrderStore } from '../ports';
import { raised, SEVERITIES, type Severity, severityOf, severityRank, worse } from '../severity';
import { commandTopic } from '../topics';
import {
  AnomalyWindowSchema,
  anomalyWindow,
  DEFAULT_ANOMALY_WINDOW_MS,
  OpenWorkOrderSchema,
  type WorkOrder,
  WorkOrderNotFound,
  workOrderId,
} from '../workorders';

/**
 * The domain of the anomaly-response workflow (`lib/workflows/anomaly-response.asl.json`):
 * each Task of the ASL maps to one function here. The task Lambdas in AWS and the local
 * runner call the same functions with their own adapters.
 */

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
 * The execution name and input for an anomaly. The name is the device and its anomaly window,
 * so every duplicate of the same anomaly (edge and cloud both finding it, retries, a storm of
 * events) maps to one execution: Step Functions refuses a second start with the same name.
 */
export function anomalyResponseStart(
  event: z.infer<typeof AnomalyEventSchema>,
  options: { windowMs?: number; ackPolicy?: AckPolicy } = {},
): { name: string; input: AnomalyResponseInput } {
  const window = anomalyWindow(event.ts, options.windowMs ?? DEFAULT_ANOMALY_WINDOW_MS);
  // Execution names: ≤ 80 chars of [A-Za-z0-9_-]; device ids are ≤ 128 chars of that alphabet.
  const name = `${event.deviceId.slice(0, 60)}-${window.start}`;
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

// ── Enrich ────────────────────────────────────────────────────────────────────────────────

export interface MeasureSummary {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly last: number;
}

export interface Enrichment {
  readonly available: boolean;
  readonly readings: number;
  readonly measures: Readonly<Record<string, MeasureSummary>>;
  readonly device: Readonly<Record<string, string>>;
  readonly known: boolean;
}

/** How much history is looked at before the anomaly. */
export const HISTORY_LOOKBACK_MS = 60 * 60_000;

export function summarize(records: readonly TelemetryRecord[]): Record<string, MeasureSummary> {
  const acc: Record<
    string,
    { count: number; min: number; max: number; sum: number; last: number; at: number }
  > = {};
  for (const r of records) {
    for (const [name, v] of Object.entries(r.measures)) {
      if (!Number.isFinite(v)) continue;
      const a = acc[name];
      if (!a) acc[name] = { count: 1, min: v, max: v, sum: v, last: v, at: r.time };
      else {
        a.count++;
        a.min = Math.min(a.min, v);
        a.max = Math.max(a.max, v);
        a.sum += v;
        if (r.time >= a.at) {
          a.last = v;
          a.at = r.time;
        }
      }
    }
  }
  return Object.fromEntries(
    Object.entries(acc).map(([k, a]) => [
      k,
      { count: a.count, min: a.min, max: a.max, mean: a.sum / a.count, last: a.last },
    ]),
  );
}

export async function enrich(
  input: AnomalyResponseInput,
  deps: { history: HistoryReader; devices: DeviceDirectory },
): Promise<Enrichment> {
  const { event } = input;
  const [records, device] = await Promise.all([
    deps.history.recent(event.deviceId, event.ts - HISTORY_LOOKBACK_MS, event.ts + 1),
    deps.devices.describe(event.deviceId),
  ]);
  return {
    available: true,
    readings: records.length,
    measures: summarize(records),
    device: device ?? {},
    known: device !== undefined,
  };
}

// ── Classify ──────────────────────────────────────────────────────────────────────────────

export interface Assessment {
  readonly severity: Severity;
  readonly reasons: readonly string[];
  readonly subject: string;
  readonly message: string;
}

/**
 * Grades the anomaly. The reported severity is a floor; the score is graded with the detector's
 * thresholds (the same everywhere); a value far outside the hour before it, or an asset marked
 * `criticality=high`, raises a warning by one level. Without enrichment the floor stands.
 */
export function classify(
  input: AnomalyResponseInput,
  enrichment: Enrichment,
  thresholds: { warning: number; critical: number } = DEFAULT_DETECTOR_CONFIG.severity,
): Assessment {
  const { event } = input;
  const reasons: string[] = [`reported ${event.severity} by ${event.source}`];
  let severity: Severity = event.severity;
  const byScore = severityOf(event.score, { severity: thresholds });
  if (severityRank(byScore) > severityRank(severity))
    reasons.push(`score ${event.score.toFixed(3)} grades ${byScore}`);
  severity = worse(severity, byScore)!;

  if (enrichment.available && severity === 'warning') {
    const outliers = Object.entries(event.measures).filter(([name, v]) => {
      const s = enrichment.measures[name];
      if (!s || s.count < 10) return false;
      const span = Math.max(s.max - s.min, Math.abs(s.mean) * 0.01, 1e-9);
      return v > s.max + span || v < s.min - span;
    });
    if (outliers.length > 0) {
      severity = raised(severity);
      reasons.push(`outside the last hour's range: ${outliers.map(([n]) => n).join(', ')}`);
    } else if (enrichment.device.criticality === 'high') {
      severity = raised(severity);
      reasons.push('asset marked criticality=high');
    }
  }
  if (!enrichment.available) reasons.push('history unavailable');
  else if (enrichment.readings === 0) reasons.push('no readings stored in the hour before');

  const measures = Object.entries(event.measures)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const subject = `[aiot] ${severity} anomaly on ${event.deviceId} (${event.site})`.slice(0, 99);
  const message = [
    `Device ${event.deviceId} at site ${event.site} reported an anomaly at ${new Date(event.ts).toISOString()}.`,
    `Severity: ${severity}; score ${event.score.toFixed(3)}; measures: ${measures || 'none'}.`,
    `Why: ${reasons.join('; ')}.`,
    `Work order: ${input.workOrderId}.`,
  ].join('\n');
  return { severity, reasons, subject, message };
}

/** The Classify task's input, as the ASL passes it. */
export const ClassifyTaskSchema = z.object({
  input: AnomalyResponseInputSchema,
  enrichment: z.custom<Enrichment>((v) => typeof v === 'object' && v !== null && 'available' in v),
});

// ── Work orders ───────────────────────────────────────────────────────────────────────────

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

// ── Commanding the device ─────────────────────────────────────────────────────────────────

export const CommandDeviceTaskSchema = z.strictObject({
  site: z.string().min(1),
  deviceId: z.string().min(1),
  workOrderId: z.string().min(1),
  reason: z.string().max(512).optional(),
});

/**
 * The safe-mode command for a work order. Its `commandId` is the work order id, so the device's
 * answer on `…/safe-mode/res` names the order it acknowledges.
 */
export function safeModeCommand(
  raw: unknown,
  at: number,
): { topic: string; command: Command; payload: string } {
  const task = CommandDeviceTaskSchema.parse(raw);
  const command: Command = {
    schema: COMMAND_SCHEMA_VERSION,
    commandId: task.workOrderId,
    issuedAt: at,
    params: task.reason ? { reason: task.reason } : {},
  };
  return {
    topic: commandTopic(task.site, task.deviceId, 'safe-mode'),
    command,
    payload: JSON.stringify(command),
  };
}

export type AckResult =
  | { readonly status: 'acknowledged'; readonly order: WorkOrder }
  | { readonly status: 'ignored'; readonly reason: string };

/**
 * A device's answer to a safe-mode command (IoT rule on `cmd/aiot/+/+/safe-mode/res` in AWS,
 * a broker subscription locally): `ok` acknowledges the work order named by the commandId.
 */
export async function handleCommandResponse(
  topic: string,
  payload: unknown,
  store: WorkOrderStore,
  clock: () => number,
): Promise<AckResult> {
  const parts = topic.split('/');
  if (parts[0] !== 'cmd' || parts[4] !== 'safe-mode' || parts[5] !== 'res' || parts.length !== 6) {
    return { status: 'ignored', reason: `not a safe-mode response topic: ${topic}` };
  }
  const deviceId = parts[3]!;
  const body = typeof payload === 'string' ? safeJson(payload) : payload;
  const parsed = CommandResponseSchema.safeParse(body);
  if (!parsed.success) return { status: 'ignored', reason: 'not a command response' };
  if (parsed.data.status !== 'ok')
    return { status: 'ignored', reason: `device rejected: ${parsed.data.detail ?? ''}` };
  const order = await store.get(parsed.data.commandId);
  if (!order) return { status: 'ignored', reason: `no work order ${parsed.data.commandId}` };
  // The topic is authoritative (a device may only publish under its own id).
  if (order.deviceId !== deviceId)
    return { status: 'ignored', reason: `${deviceId} answered for ${order.deviceId}` };
  if (order.status !== 'open' && order.status !== 'escalated') return { status: 'acknowledged', order };
  const next = await store.updateStatus(order.id, {
    status: 'acknowledged',
    at: clock(),
    note: `safe mode acknowledged by the device at ${new Date(parsed.data.at).toISOString()}`,
  });
  return { status: 'acknowledged', order: next };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
