import { z } from 'zod';
import { EnvParts } from '../../shared/env';

/** Retraining reads its data from the lake through Athena, whatever the hot store. */
export const ExportTrainingDataEnv = z.object({
  ...EnvParts.lakeQuery,
  ...EnvParts.workOrdersTable,
  ...EnvParts.modelBucket,
  TRAINING_BUCKET: z.string().min(1),
  TRAINING_WINDOW_DAYS: z.coerce.number().int().min(1),
  INFERENCE_MODE: z.enum(['serverless', 'instance']),
  NAME_PREFIX: z.string().min(1),
});
