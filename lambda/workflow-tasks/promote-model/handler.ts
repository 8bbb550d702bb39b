import type { Clock } from '../../../core/clock';
import type { ObjectStore } from '../../../core/ports';
import { promoteModel } from '../../../core/workflows/retraining';

export interface PromoteModelDeps {
  readonly objects: ObjectStore;
  readonly modelBucket: string;
  readonly clock: Clock;
}

/** Task of the retraining workflow: records the deployed model as the one to beat next time. */
export function makeHandler(deps: PromoteModelDeps) {
  return async (event: unknown) => promoteModel(event, deps);
}
