import { type Datum, QueryCommand, type TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import type { TelemetryRecord } from '../../core/store';
import type { HistoryReader } from '../../core/workflows/anomaly-response';

/** Most readings one enrichment reads (newest first): an hour of a fast device is plenty. */
export const MAX_HISTORY_ROWS = 2000;

const DEVICE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Timestream prints time as `2026-11-24 12:00:00.000000000` (UTC). */
export function parseTimestreamTime(text: string): number {
  const ms = Date.parse(`${text.replace(' ', 'T').slice(0, 23)}Z`);
  if (Number.isNaN(ms)) throw new Error(`unreadable Timestream time: ${text}`);
  return ms;
}

/** Recent readings of one device from the telemetry table (multi-measure records). */
export class TimestreamHistoryReader implements HistoryReader {
  constructor(
    private readonly client: TimestreamQueryClient,
    private readonly databaseName: string,
    private readonly tableName: string,
  ) {}

  async recent(deviceId: string, sinceMs: number, untilMs: number): Promise<TelemetryRecord[]> {
    // The id is checked against the contract's alphabet before it goes into the query text.
    if (!DEVICE_ID.test(deviceId)) throw new Error(`invalid device id: ${deviceId}`);
    const sql =
      `SELECT * FROM "${this.databaseName}"."${this.tableName}" WHERE deviceId = '${deviceId}' ` +
      `AND time BETWEEN from_milliseconds(${Math.floor(sinceMs)}) AND from_milliseconds(${Math.floor(untilMs)}) ` +
      `ORDER BY time DESC LIMIT ${MAX_HISTORY_ROWS}`;
    const out: TelemetryRecord[] = [];
    let NextToken: string | undefined;
    do {
      const res = await this.client.send(new QueryCommand({ QueryString: sql, NextToken }));
      const columns = res.ColumnInfo ?? [];
      for (const row of res.Rows ?? [])
        out.push(
          toRecord(
            columns.map((c) => c.Name ?? ''),
            row.Data ?? [],
          ),
        );
      NextToken = res.NextToken;
    } while (NextToken);
    return out.reverse();
  }
}

const NOT_MEASURES = new Set(['deviceId', 'site', 'time', 'measure_name', 'seq']);

function toRecord(names: readonly string[], data: readonly Datum[]): TelemetryRecord {
  let time = 0;
  let seq = 0;
  let deviceId = '';
  let site = '';
  const measures: Record<string, number> = {};
  names.forEach((name, i) => {
    const d = data[i];
    if (!d || d.NullValue || d.ScalarValue === undefined) return;
    const v = d.ScalarValue;
    if (name === 'time') time = parseTimestreamTime(v);
    else if (name === 'seq') seq = Number(v);
    else if (name === 'deviceId') deviceId = v;
    else if (name === 'site') site = v;
    else if (!NOT_MEASURES.has(name)) {
      const n = Number(v);
      if (Number.isFinite(n)) measures[name] = n;
    }
  });
  return { deviceId, site, time, seq, measures };
}
