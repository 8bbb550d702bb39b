import { CommandResponseSchema } from '../../commands';
import type { WorkOrderStore } from '../../ports';
import type { WorkOrder } from '../../workorders';

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
