import type { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { type _Record, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import type { PredictionEvent } from '../../core/ml/predictive';
import type { PredictionStore } from '../../core/ports';
import { chunk, MAX_RECORDS_PER_WRITE } from './timestream-store';

/** A failure prediction as one record of the `events` table, beside the anomalies (measure `prediction`). */
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
      { Name: 'horizon_ms', Value: String(p.horizonMs), Type: 'BIGINT' },
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
    for (const part of chunk(events, MAX_RECORDS_PER_WRITE)) {
      await this.client.send(
        new WriteRecordsCommand({
          DatabaseName: this.databaseName,
          TableName: this.tableName,
          Records: part.map(toPredictionRecord),
        }),
      );
    }
  }
}
