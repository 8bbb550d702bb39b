import {
  type _Record,
  RejectedRecordsException,
  type TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import { type AnomalyEvent, AnomalyEventSchema } from '../../core/events';
import { checkEach, type EventStore } from '../../core/ports';
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

/**
 * Writes event records in calls of at most 100. An event already stored under the same
 * device, time and source (a retried delivery, perhaps scored again) keeps the first copy, as
 * in every EventStore; any other refusal (outside retention, too large) is thrown.
 */
export async function writeEvents(
  client: TimestreamWriteClient,
  databaseName: string,
  tableName: string,
  records: readonly _Record[],
): Promise<void> {
  for (const part of chunk(records, MAX_RECORDS_PER_WRITE)) {
    try {
      await client.send(
        new WriteRecordsCommand({ DatabaseName: databaseName, TableName: tableName, Records: part }),
      );
    } catch (e) {
      const refused = e instanceof RejectedRecordsException ? (e.RejectedRecords ?? []) : undefined;
      const onlyDuplicates = refused?.every(
        (r) => r.ExistingVersion !== undefined || /already exists|existing version/i.test(r.Reason ?? ''),
      );
      if (!onlyDuplicates) throw e;
    }
  }
}

/** The EventStore port on the Timestream `events` table. */
export class TimestreamEventStore implements EventStore {
  constructor(
    private readonly client: TimestreamWriteClient,
    private readonly databaseName: string,
    private readonly tableName: string,
  ) {}

  async putAnomalies(events: readonly AnomalyEvent[]): Promise<void> {
    const valid = checkEach(events, AnomalyEventSchema, 'anomaly');
    await writeEvents(this.client, this.databaseName, this.tableName, valid.map(toEventRecord));
  }
}
