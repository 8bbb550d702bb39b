import { z } from 'zod';
import { EnvParts } from '../../shared/env';

export const EnrichEnv = z.object({ ...EnvParts.telemetryTable });
