import type { ObjectStore, PredictionStore } from '../../../core/ports';
import { storePredictions } from '../../../core/workflows/retraining';

export interface StorePredictionsDeps {
  readonly objects: ObjectStore;
  readonly predictions: PredictionStore;
}

/** Task of the retraining workflow: the predictor's output as prediction events beside the anomalies. */
export function makeHandler(deps: StorePredictionsDeps) {
  return async (event: unknown) => storePredictions(event, deps);
}
