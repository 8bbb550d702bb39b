import { z } from 'zod';
import { DeviceIdSchema } from './telemetry';

/**
 * Commands sent to a device on `cmd/aiot/<site>/<deviceId>/<command>` (or, from a site's edge,
 * `cmd/aiot-edge/<site>/<command>` with `deviceId` set), answered on `cmd/aiot/<site>/<deviceId>/<command>/res`.
 */
export const COMMAND_SCHEMA_VERSION = 'aiot.command/1';

export const COMMANDS = ['safe-mode', 'sampling-rate', 'resume'] as const;
export const CommandNameSchema = z.enum(COMMANDS);
export type CommandName = z.infer<typeof CommandNameSchema>;

export const CommandSchema = z.strictObject({
  schema: z.literal(COMMAND_SCHEMA_VERSION),
  commandId: z.string().min(1).max(128),
  issuedAt: z.number().int().positive(),
  /**
   * The device a command is for, when its topic does not say: required on a site's edge command
   * topic (`cmd/aiot-edge/<site>/<command>`), where every device of the site receives it.
   */
  deviceId: DeviceIdSchema.optional(),
  /** Free-form parameters of the command, e.g. `{ "hz": 2 }` for sampling-rate. */
  params: z.record(z.string(), z.unknown()).default({}),
});
export type Command = z.infer<typeof CommandSchema>;

export const CommandResponseSchema = z.strictObject({
  schema: z.literal(COMMAND_SCHEMA_VERSION),
  commandId: z.string().min(1).max(128),
  status: z.enum(['ok', 'rejected']),
  detail: z.string().max(512).optional(),
  at: z.number().int().positive(),
});
export type CommandResponse = z.infer<typeof CommandResponseSchema>;
