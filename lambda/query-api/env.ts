import { z } from 'zod';
import { EnvParts } from '../shared/env';

export const QueryApiEnv = z.object({
  TELEMETRY_DATABASE: EnvParts.telemetryTable.TELEMETRY_DATABASE,
  ...EnvParts.workOrdersTable,
  /** How callers authenticate (decides what the handler logs of the caller). */
  API_AUTH: z.enum(['iam', 'jwt']).default('iam'),
});
