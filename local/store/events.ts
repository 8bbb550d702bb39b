import type { Database, Statement } from 'better-sqlite3';
import { type AnomalyEvent, AnomalyEventSchema } from '../../core/events';
import { type PredictionEvent, PredictionEventSchema } from '../../core/ml/predictive';
import { checkEach, type EventStore, type PredictionStore } from '../../core/ports';

interface PredictionRow {
  readonly deviceId: string;
  readonly site: string;
  readonly ts: number;
  readonly probability: number;
  readonly horizonMs: number;
  readonly source: string;
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
  private readonly predictionBatch: (predictions: readonly PredictionRow[]) => void;

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
    this.predictionBatch = db.transaction((predictions: readonly PredictionRow[]) => {
      for (const p of predictions) this.insertPrediction.run(p);
    });
  }

  async putAnomalies(events: readonly AnomalyEvent[]): Promise<void> {
    this.anomalyBatch(checkEach(events, AnomalyEventSchema, 'anomaly'));
  }

  /** The model that made a prediction is its source (cut to 64 characters, as in Timestream). */
  async putPredictions(predictions: readonly PredictionEvent[]): Promise<void> {
    this.predictionBatch(
      checkEach(predictions, PredictionEventSchema, 'prediction').map((e) => {
        return {
          deviceId: e.deviceId,
          site: e.site,
          ts: e.ts,
          probability: e.probability,
          horizonMs: e.horizonMs,
          source: e.model.slice(0, 64),
        };
      }),
    );
  }
}
