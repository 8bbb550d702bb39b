import { z } from 'zod';
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

const name = z.string().min(1);

/**
 * Parts of function environments, one per resource a function uses. Each function composes its
 * own schema from them (`lambda/<function>/env.ts`); the construct that grants the access sets
 * the same variables, and `ProjectFunction` refuses at synth a function whose schema asks for
 * one nobody set.
 */
export const EnvParts = {
  telemetryTable: { TELEMETRY_DATABASE: name, TELEMETRY_TABLE: name },
  eventsTable: { EVENTS_DATABASE: name, EVENTS_TABLE: name },
  workOrdersTable: { WORK_ORDERS_TABLE: name },
  quarantineBucket: { QUARANTINE_BUCKET: name },
  modelBucket: { MODEL_BUCKET: name },
  /** Starting the anomaly-response workflow with its acknowledgement policy. */
  anomalyResponse: {
    ANOMALY_RESPONSE_ARN: z.string().startsWith('arn:'),
    ACK_POLL_SECONDS: z.coerce.number().int().min(1),
    ACK_MAX_POLLS: z.coerce.number().int().min(1),
  },
} as const;
