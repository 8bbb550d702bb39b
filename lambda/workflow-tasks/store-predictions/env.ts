import { z } from 'zod';
import { EnvParts } from '../../shared/env';

export const StorePredictionsEnv = z.object({ ...EnvParts.eventsTable });
