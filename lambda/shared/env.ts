import type { z } from 'zod';
import { formatIssues } from '../../core/telemetry';

/**
 * Reads a function's environment once, at cold start, against a schema: a missing or bad
 * variable fails the start with a message naming it, never a request at random later.
 */
export function loadEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid function environment: ${formatIssues(parsed.error)}`);
  return parsed.data;
}
