import { EnvParts, storeEnv } from '../../shared/env';

export const EnrichEnv = storeEnv({}, EnvParts.telemetryTable);
