import { z } from 'zod';

/** The token function's environment: only its patience (the instance and secrets come as resource properties). */
export const InfluxDbTokenEnv = z.object({
  /** How long a Create or Update waits for an instance that does not answer yet (the Lambda timeout is longer). */
  READY_BUDGET_MS: z.coerce.number().int().min(1000).max(840_000).default(600_000),
  /** How long a Delete tries to reach the instance before it gives up and succeeds. */
  DELETE_BUDGET_MS: z.coerce.number().int().min(1000).max(600_000).default(60_000),
  /** Deadline of one HTTP request to InfluxDB. */
  INFLUXDB_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
});
