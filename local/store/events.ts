import type { Database, Statement } from 'better-sqlite3';
import { type AnomalyEvent, AnomalyEventSchema } from '../../core/events';
import type { EventStore } from '../../core/ports';
import { type Prediction, PredictionSchema } from '../../core/query/model';
import { formatIssues } from '../../core/telemetry';

/** Where predictions of the maintenance model are kept (beside the anomalies, as in Timestream). */
export interface PredictionStore {
  putPredictions(predictions: readonly Prediction[]): Promise<void>;
}

/**
 * The EventStore port on SQLite, plus predictions. An event is identified by device, time and
 * source; writing it again (a retried delivery) keeps the first copy, so retries are harmless.
 * Events are validated against their schema: the store never holds what the API could not return.
 */
export class SqliteEventStore implements EventStore, PredictionStore {
  private readonly insertAnomaly: Statement;
  private readonly insertPrediction: Statement;
  private readonly anomalyBatch: (events: readonly AnomalyEvent[]) => void;
  private readonly predictionBatch: (predictions: readonly Prediction[]) => void;

  constructor(db: Database) {
    this.insertAnomaly = db.prepare(
      `INSERT INTO anomalies (device_id, ts, source, site, score, severity, measures)
       VALUES (@deviceId, @ts, @source, @site, @score, @severity, @measures) ON CONFLICT DO NOTHING`,
    );
    this.insertPrediction = db.prepare(
      `INSERT INTO predictions (device_id, ts, source, site, probability, horizon_ms)
       VALUES (@deviceId, @ts, @source, @site, @probability, @horizonMs) ON CONFLICT DO NOTHING`,
    );
    this.anomalyBatch = db.transaction((events: readonly AnomalyEvent[]) => {
      for (const e of events) {
        this.insertAnomaly.run({
          deviceId: e.deviceId,
          ts: e.ts,
          source: e.source,
          site: e.site,
          score: e.score,
          severity: e.severity,
          measures: JSON.stringify(e.measures),
        });
      }
    });
    this.predictionBatch = db.transaction((predictions: readonly Prediction[]) => {
      for (const p of predictions) this.insertPrediction.run(p);
    });
  }

  async putAnomalies(events: readonly AnomalyEvent[]): Promise<void> {
    this.anomalyBatch(events.map((e, i) => checked(AnomalyEventSchema, e, `anomaly ${i}`)));
  }

  async putPredictions(predictions: readonly Prediction[]): Promise<void> {
    this.predictionBatch(predictions.map((p, i) => checked(PredictionSchema, p, `prediction ${i}`)));
  }
}

function checked<T>(
  schema: {
    safeParse(v: unknown): { success: true; data: T } | { success: false; error: import('zod').ZodError };
  },
  value: unknown,
  what: string,
): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new TypeError(`${what} is invalid: ${formatIssues(parsed.error)}`);
  return parsed.data;
}
