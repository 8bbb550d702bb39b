import { type AnomalyEvent, AnomalyEventSchema } from '../../core/events';
import { type EventStore, type Quarantine, quarantineItem } from '../../core/ports';
import { splitRuleEnvelope } from '../../core/rules';
import { formatIssues } from '../../core/telemetry';

export const SOURCE = 'event-router';

export interface EventRouterDeps {
  readonly events: EventStore;
  readonly quarantine: Quarantine;
  readonly clock?: () => number;
  /**
   * Acts on a valid anomaly: in the cloud, starts the response workflow when the event opens its
   * episode, or escalates it to critical (`startsResponse`); other escalations are stored only.
   */
  readonly onAnomaly?: (event: AnomalyEvent) => Promise<void>;
}

export type EventRouterResult =
  | { status: 'routed'; event: AnomalyEvent }
  | { status: 'quarantined'; reason: string };

/**
 * Routes an anomaly event found at the edge: a valid one is stored and acted on; an invalid one
 * is quarantined with its reason (the rule delivered it, so it is not lost).
 */
export function makeHandler(deps: EventRouterDeps): (input: unknown) => Promise<EventRouterResult> {
  const clock = deps.clock ?? Date.now;
  return async (input) => {
    const { body, topicDeviceId } = splitRuleEnvelope(input);
    const parsed = AnomalyEventSchema.safeParse(body);
    let reason: string | undefined;
    if (!parsed.success) reason = `invalid event: ${formatIssues(parsed.error)}`;
    else if (topicDeviceId !== undefined && topicDeviceId !== parsed.data.deviceId) {
      reason = `event names ${parsed.data.deviceId} but came on the topic of ${String(topicDeviceId)}`;
    }
    if (reason || !parsed.success) {
      const why = reason ?? 'invalid event';
      await deps.quarantine.put([
        quarantineItem(JSON.stringify(input) ?? String(input), {
          source: SOURCE,
          reason: why,
          receivedAt: clock(),
        }),
      ]);
      return { status: 'quarantined', reason: why };
    }
    await deps.events.putAnomalies([parsed.data]);
    await deps.onAnomaly?.(parsed.data);
    return { status: 'routed', event: parsed.data };
  };
}
