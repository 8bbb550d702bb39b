import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '../../../core/clock';
import type { WorkOrderStore } from '../../../core/ports';
import { splitCommandAck } from '../../../core/rules';
import { handleCommandResponse } from '../../../core/workflows/anomaly-response';

export interface CommandAckDeps {
  readonly store: WorkOrderStore;
  readonly clock: Clock;
  readonly logger?: Pick<Logger, 'info' | 'warn'>;
}

/**
 * Target of the command-acknowledgement rule (`RULES.commandAck`): a device's `ok` acknowledges
 * the work order its commandId names, which the waiting workflow sees.
 */
export function makeHandler(deps: CommandAckDeps) {
  return async (event: unknown): Promise<void> => {
    const { topic, payload } = splitCommandAck(event);
    const result = await handleCommandResponse(topic, payload, deps.store, deps.clock);
    if (result.status === 'ignored')
      deps.logger?.warn('command response ignored', { topic, reason: result.reason });
    else
      deps.logger?.info('safe mode acknowledged', {
        workOrderId: result.order.id,
        status: result.order.status,
      });
  };
}
