import {
  type _Record,
  type TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import type { AnomalyEvent } from '../../core/events';
import type { EventStore } from '../../core/ports';
import { chunk, MAX_RECORDS_PER_WRITE } from './timestream-store';

/** An anomaly as one multi-measure record of the `events` table. */
export function toEventRecord(e: AnomalyEvent): _Record {
  return {
    Dimensions: [
      { Name: 'deviceId', Value: e.deviceId },
      { Name: 'site', Value: e.site },
      { Name: 'source', Value: e.source },
    ],
    MeasureName: e.kind,
    MeasureValueType: 'MULTI',
    MeasureValues: [
      { Name: 'score', Value: String(e.score), Type: 'DOUBLE' },
      { Name: 'severity', Value: e.severity, Type: 'VARCHAR' },
      { Name: 'measures', Value: JSON.stringify(e.measures).slice(0, 2048), Type: 'VARCHAR' },
    ],
    Time: String(e.ts),
    TimeUnit: 'MILLISECONDS',
  };
}

/** The EventStore port on the Timestream `events` table. */
export class TimestreamEventStore implements EventStore {
  constructor(
    private readonly client: TimestreamWriteClient,
    private readonly databaseName: string,
    private readonly tableName: string,
  ) {}

  async putAnomalies(events: readonly AnomalyEvent[]): Promise<void> {
    for (const part of chunk(events, MAX_RECORDS_PER_WRITE)) {
      await this.client.send(
        new WriteRecordsCommand({
          DatabaseName: this.databaseName,
          TableName: this.tableName,
          Records: part.map(toEventRecord),
        }),
      );
    }
  }
}
