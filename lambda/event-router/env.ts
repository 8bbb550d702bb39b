import { EnvParts, storeEnv } from '../shared/env';

export const EventRouterEnv = storeEnv(
  { ...EnvParts.quarantineBucket, ...EnvParts.anomalyResponse, ...EnvParts.lakeEvents },
  EnvParts.eventsTable,
);
