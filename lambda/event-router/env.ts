import { z } from 'zod';
import { EnvParts } from '../shared/env';

export const EventRouterEnv = z.object({
  ...EnvParts.eventsTable,
  ...EnvParts.quarantineBucket,
  ...EnvParts.anomalyResponse,
});
