import { z } from 'zod';
import { EnvParts } from '../../shared/env';

export const WorkOrdersTaskEnv = z.object({ ...EnvParts.workOrdersTable });
