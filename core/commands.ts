import { z } from 'zod';

/** Commands sent to a device on `cmd/aiot/<site>/<deviceId>/<command>`, answered on `…/res`. */
export const COMMAND_SCHEMA_VERSION = 'aiot.command/1';

export const COMMANDS = ['safe-mode', 'sampling-rate', 'resume'] as const;
export const CommandNameSchema = z.enum(COMMANDS);
export type CommandName = z.infer<typeof CommandNameSchema>;

export const CommandSchema = z.strictObject({
  schema: z.literal(COMMAND_SCHEMA_VERSION),
  commandId: z.string().min(1).max(128),
  issuedAt: z.number().int().positive(),
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
