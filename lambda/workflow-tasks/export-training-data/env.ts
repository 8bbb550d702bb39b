import { z } from 'zod';
import { EnvParts } from '../../shared/env';

export const ExportTrainingDataEnv = z.object({
  ...EnvParts.telemetryTable,
  ...EnvParts.workOrdersTable,
  ...EnvParts.modelBucket,
  TRAINING_BUCKET: z.string().min(1),
  DATA_KEY_ARN: z.string().startsWith('arn:'),
  TRAINING_WINDOW_DAYS: z.coerce.number().int().min(1),
  INFERENCE_MODE: z.enum(['serverless', 'instance']),
  NAME_PREFIX: z.string().min(1),
});
