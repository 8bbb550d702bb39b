import { z } from 'zod';
import { EnvParts, storeEnv } from '../shared/env';

export const QueryApiEnv = storeEnv(
  {
    ...EnvParts.workOrdersTable,
    /** How callers authenticate (decides what the handler logs of the caller). */
    API_AUTH: z.enum(['iam', 'jwt']).default('iam'),
  },
  { TELEMETRY_DATABASE: EnvParts.telemetryTable.TELEMETRY_DATABASE },
);
