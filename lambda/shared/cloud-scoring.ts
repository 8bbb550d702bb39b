import { startsResponse } from '../../core/episodes';
import type { AnomalyEvent } from '../../core/events';
import { type IngestOutcome, toRecords } from '../../core/ingest';
import type { EventStore } from '../../core/ports';
import type { EndpointScorer, ScoredBatch } from './endpoint-scorer';

export interface CloudScoringDeps {
  readonly scorer: Pick<EndpointScorer, 'score'>;
  readonly events: EventStore;
  /** Acts on an anomaly episode that opens or escalates to critical (starts the response workflow). */
  readonly startResponse: (event: AnomalyEvent) => Promise<unknown> | unknown;
  /** Told about every scored batch (metrics, logs). */
  readonly onScored?: (batch: ScoredBatch) => void;
  /** Told of every event stored, openings and escalations alike (the local runtime shows them). */
  readonly onEvent?: (event: AnomalyEvent) => void;
}

/**
 * The cloud half of detection, as the stream processor's `onBatch` hook: the readings of every
 * message a batch stored are scored together (one endpoint call, or the in-process detector when
 * it cannot answer), each anomaly episode opened or escalated is stored as an event, and an
 * episode that opens starts the response workflow — once per episode, however long it lasts —
 * and once more if it escalates to critical (the warning run's order is raised, safe mode sent).
 * The Lambda and the local runtime use this one piece.
 */
export function makeCloudScoring(
  deps: CloudScoringDeps,
): (outcomes: readonly IngestOutcome[]) => Promise<AnomalyEvent[]> {
  return async (outcomes) => {
    const records = outcomes.flatMap((o) => (o.status === 'stored' ? toRecords(o.message) : []));
    if (records.length === 0) return [];
    const batch = await deps.scorer.score(records);
    deps.onScored?.(batch);
    const anomalies = [...batch.anomalies];
    if (anomalies.length === 0) return [];
    await deps.events.putAnomalies(anomalies);
    for (const anomaly of anomalies) {
      deps.onEvent?.(anomaly);
      if (startsResponse(anomaly)) await deps.startResponse(anomaly);
    }
    return anomalies;
  };
}
