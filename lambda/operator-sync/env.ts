import { z } from 'zod';
import { EnvParts } from '../shared/env';

export const OperatorSyncEnv = z.object({ ...EnvParts.workOrdersTable, ...EnvParts.lakeEvents });
