import type { _Record, TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { type PredictionEvent, PredictionEventSchema } from '../../core/ml/predictive';
import { checkEach, type PredictionStore } from '../../core/ports';
import { writeEvents } from './timestream-events';

/**
 * A failure prediction as one record of the `events` table, beside the anomalies: measure
 * `prediction`, attributes `probability` and `horizonMs` (the names the query API and the
 * QuickSight dataset read, core/query/model.ts).
 */
export function toPredictionRecord(p: PredictionEvent): _Record {
  return {
    Dimensions: [
      { Name: 'deviceId', Value: p.deviceId },
      { Name: 'site', Value: p.site },
      { Name: 'source', Value: p.model.slice(0, 64) },
    ],
    MeasureName: p.kind,
    MeasureValueType: 'MULTI',
    MeasureValues: [
      { Name: 'probability', Value: String(p.probability), Type: 'DOUBLE' },
      { Name: 'horizonMs', Value: String(p.horizonMs), Type: 'BIGINT' },
    ],
    Time: String(p.ts),
    TimeUnit: 'MILLISECONDS',
  };
}

export class TimestreamPredictionStore implements PredictionStore {
  constructor(
    private readonly client: TimestreamWriteClient,
    private readonly databaseName: string,
    private readonly tableName: string,
  ) {}

  async putPredictions(events: readonly PredictionEvent[]): Promise<void> {
    const valid = checkEach(events, PredictionEventSchema, 'prediction');
    await writeEvents(this.client, this.databaseName, this.tableName, valid.map(toPredictionRecord));
  }
}
