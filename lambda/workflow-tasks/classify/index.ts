import { z } from 'zod';
import { DEFAULT_DETECTOR_CONFIG } from '../../../core/detector';
import {
  AnomalyResponseInputSchema,
  classify,
  type Enrichment,
} from '../../../core/workflows/anomaly-response';

const TaskSchema = z.object({
  input: AnomalyResponseInputSchema,
  enrichment: z.custom<Enrichment>((v) => typeof v === 'object' && v !== null && 'available' in v),
});

/** Task of the anomaly-response workflow: the severity, with the detector's own thresholds. */
export const handler = async (event: unknown) => {
  const { input, enrichment } = TaskSchema.parse(event);
  return classify(input, enrichment, DEFAULT_DETECTOR_CONFIG.severity);
};
