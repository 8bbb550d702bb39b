import type { ObjectStore } from '../../../core/ports';
import { evaluateCandidate } from '../../../core/workflows/retraining';

/** Task of the retraining workflow: the candidate against the current model on the labelled windows. */
export function makeHandler(deps: { readonly objects: ObjectStore }) {
  return async (event: unknown) => evaluateCandidate(event, deps);
}
