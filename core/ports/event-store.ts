import type { AnomalyEvent } from '../events';
import type { PredictionEvent } from '../ml/predictive';

/** Where anomaly events (from the edge or the cloud path) are kept for operators and the API. */
export interface EventStore {
  putAnomalies(events: readonly AnomalyEvent[]): Promise<void>;
}

/** Where failure predictions are kept (the events table in AWS, beside the anomalies). */
export interface PredictionStore {
  putPredictions(events: readonly PredictionEvent[]): Promise<void>;
}
