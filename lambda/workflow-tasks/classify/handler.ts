import type { SeverityThresholds } from '../../../core/severity';
import { ClassifyTaskSchema, classify } from '../../../core/workflows/anomaly-response';

export interface ClassifyDeps {
  /** The thresholds a score is graded with (the detector's own). */
  readonly thresholds: SeverityThresholds;
}

/** Task of the anomaly-response workflow: the severity of the anomaly, with its reasons. */
export function makeHandler(deps: ClassifyDeps) {
  return async (event: unknown) => {
    const { input, enrichment } = ClassifyTaskSchema.parse(event);
    return classify(input, enrichment, deps.thresholds);
  };
}
