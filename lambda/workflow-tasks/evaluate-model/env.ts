import { z } from 'zod';

/** Evaluation reads the objects its input names; it needs no configuration. */
export const EvaluateModelEnv = z.object({});
