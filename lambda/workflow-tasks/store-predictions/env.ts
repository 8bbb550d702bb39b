import { EnvParts, storeEnv } from '../../shared/env';

export const StorePredictionsEnv = storeEnv(EnvParts.lakeEvents, EnvParts.eventsTable);
