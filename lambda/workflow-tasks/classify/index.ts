import { DEFAULT_DETECTOR_CONFIG } from '../../../core/detector';
import { ClassifyTaskSchema, classify } from '../../../core/workflows/anomaly-response';

/** Task of the anomaly-response workflow: the severity, with the detector's own thresholds. */
export const handler = async (event: unknown) => {
  const { input, enrichment } = ClassifyTaskSchema.parse(event);
  return classify(input, enrichment, DEFAULT_DETECTOR_CONFIG.severity);
};
