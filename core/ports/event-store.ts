import type { ZodError } from 'zod';
import type { AnomalyEvent } from '../events';
import type { PredictionEvent } from '../ml/predictive';
import { formatIssues } from '../telemetry';

/**
 * Where anomaly events (from the edge or the cloud path) are kept for operators and the API.
 * Every adapter refuses a call holding an event that breaks its schema (nothing of it is
 * stored), and keeps the first copy of an event stored again under the same device, time and
 * source (a retried delivery), so retries are harmless.
 */
export interface EventStore {
  putAnomalies(events: readonly AnomalyEvent[]): Promise<void>;
}

/** Where failure predictions are kept (the events table in AWS, beside the anomalies); the same rules. */
export interface PredictionStore {
  putPredictions(events: readonly PredictionEvent[]): Promise<void>;
}

/**
 * Checks every event of a call against its schema before anything is written, naming the first
 * that breaks it: the store never holds what the API could not return.
 */
export function checkEach<T>(
  items: readonly unknown[],
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } },
  what: string,
): T[] {
  return items.map((item, i) => {
    const parsed = schema.safeParse(item);
    if (!parsed.success) throw new TypeError(`${what} ${i} is invalid: ${formatIssues(parsed.error)}`);
    return parsed.data;
  });
}
