import { z } from 'zod';
import { EnvParts } from '../../shared/env';

export const PromoteModelEnv = z.object({ ...EnvParts.modelBucket });
