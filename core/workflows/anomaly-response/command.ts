import { z } from 'zod';
import { COMMAND_SCHEMA_VERSION, type Command } from '../../commands';
import { commandTopic } from '../../topics';

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
