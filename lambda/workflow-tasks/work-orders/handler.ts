import type { Clock } from '../../../core/clock';
import type { WorkOrderStore } from '../../../core/ports';
import { runWorkOrderTask } from '../../../core/workflows/anomaly-response';

/** Task of the anomaly-response workflow: open (idempotent), read status, escalate. */
export function makeHandler(deps: { readonly store: WorkOrderStore; readonly clock: Clock }) {
  return async (event: unknown) => runWorkOrderTask(event, deps.store, deps.clock);
}
