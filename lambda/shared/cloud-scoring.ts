import type { AnomalyEvent } from '../../core/events';
import { type IngestOutcome, toRecords } from '../../core/ingest';
import type { EventStore } from '../../core/ports';
import { type EndpointScorer, type ScoredBatch, toAnomalyEvents } from './endpoint-scorer';

export interface CloudScoringDeps {
  readonly scorer: Pick<EndpointScorer, 'score'>;
  readonly events: EventStore;
  /** Acts on an anomaly (starts the response workflow). */
  readonly startResponse: (event: AnomalyEvent) => Promise<unknown> | unknown;
  /** Told about every scored batch (metrics, logs). */
  readonly onScored?: (batch: ScoredBatch) => void;
}

/**
 * The cloud half of detection, as a stream-processor `onOutcome` hook: every stored message is
 * scored (the endpoint, or the in-process detector when it cannot), and an anomaly is stored as
 * an event and starts the response workflow. The Lambda and the local runtime use this one piece.
 */
export function makeCloudScoring(
  deps: CloudScoringDeps,
): (outcome: IngestOutcome) => Promise<AnomalyEvent[]> {
  return async (outcome) => {
    if (outcome.status !== 'stored') return [];
    const batch = await deps.scorer.score(toRecords(outcome.message));
    deps.onScored?.(batch);
    const anomalies = toAnomalyEvents(batch);
    if (anomalies.length === 0) return [];
    await deps.events.putAnomalies(anomalies);
    for (const anomaly of anomalies) await deps.startResponse(anomaly);
    return anomalies;
  };
}
