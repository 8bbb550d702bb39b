import { z } from 'zod';

/** Classification needs no configuration: it grades with the detector's own thresholds. */
export const ClassifyEnv = z.object({});
