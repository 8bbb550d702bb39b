import { z } from 'zod';
import { EnvParts } from '../../shared/env';

export const CommandAckEnv = z.object({ ...EnvParts.workOrdersTable });
