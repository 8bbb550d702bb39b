import { WORK_ORDER_MEASURE } from '../../../lambda/operator-sync/records';
import { sql } from '../../../lambda/shared/timestream-query';
import { MULTI_MEASURE_NAME } from '../../../lambda/shared/timestream-store';
import type { DatasetKey } from './dashboard-definition';

export type ColumnType = 'STRING' | 'INTEGER' | 'DECIMAL' | 'DATETIME';

export interface DatasetQuery {
  readonly name: string;
  readonly sql: string;
  readonly columns: readonly { readonly name: string; readonly type: ColumnType }[];
}

export interface DatasetOptions {
  readonly database: string;
  readonly telemetryTable: string;
  readonly eventsTable: string;
  /** Measures charted as 1-minute rollups (multi-measure columns of the telemetry table). */
  readonly measures: readonly string[];
  /** Days of telemetry the dashboard reads (direct query: every view scans this much). */
  readonly telemetryDays: number;
  /** Days of anomalies, predictions and work-order history. */
  readonly eventDays: number;
}

/**
 * The operator datasets as Timestream SQL (direct query, so the dashboard is as fresh as the
 * store). Names come from the stack and configuration and pass the same checks as the query
 * API's SQL.
 */
export function operatorDatasets(o: DatasetOptions): Record<DatasetKey, DatasetQuery> {
  const telemetry = sql.table(o.database, o.telemetryTable);
  const events = sql.table(o.database, o.eventsTable);
  const rollups = o.measures.map((m) => {
    const c = sql.column(m);
    return (
      `SELECT deviceId, site, bin(time, 1m) AS minute, ${sql.text(m)} AS measure, avg(${c}) AS avg_value, ` +
      `min(${c}) AS min_value, max(${c}) AS max_value, count(${c}) AS readings FROM ${telemetry} ` +
      `WHERE measure_name = ${sql.text(MULTI_MEASURE_NAME)} AND time >= ago(${o.telemetryDays}d) AND ${c} IS NOT NULL ` +
      'GROUP BY deviceId, site, bin(time, 1m)'
    );
  });
  const since = `time >= ago(${o.eventDays}d)`;
  return {
    telemetry: {
      name: 'Telemetry, 1-minute rollups',
      sql: rollups.join(' UNION ALL '),
      columns: [
        { name: 'deviceId', type: 'STRING' },
        { name: 'site', type: 'STRING' },
        { name: 'minute', type: 'DATETIME' },
        { name: 'measure', type: 'STRING' },
        { name: 'avg_value', type: 'DECIMAL' },
        { name: 'min_value', type: 'DECIMAL' },
        { name: 'max_value', type: 'DECIMAL' },
        { name: 'readings', type: 'INTEGER' },
      ],
    },
    anomalies: {
      name: 'Anomalies',
      sql: `SELECT deviceId, site, source, time, score, severity FROM ${events} WHERE measure_name = 'anomaly' AND ${since}`,
      columns: [
        { name: 'deviceId', type: 'STRING' },
        { name: 'site', type: 'STRING' },
        { name: 'source', type: 'STRING' },
        { name: 'time', type: 'DATETIME' },
        { name: 'score', type: 'DECIMAL' },
        { name: 'severity', type: 'STRING' },
      ],
    },
    predictions: {
      name: 'Failure predictions',
      sql: `SELECT deviceId, site, source, time, probability, horizonMs FROM ${events} WHERE measure_name = 'prediction' AND ${since}`,
      columns: [
        { name: 'deviceId', type: 'STRING' },
        { name: 'site', type: 'STRING' },
        { name: 'source', type: 'STRING' },
        { name: 'time', type: 'DATETIME' },
        { name: 'probability', type: 'DECIMAL' },
        { name: 'horizonMs', type: 'INTEGER' },
      ],
    },
    workOrders: {
      name: 'Work orders',
      // One row per order: its latest mirrored state.
      sql:
        'SELECT workOrderId, deviceId, site, max_by(status, time) AS status, max_by(severity, time) AS severity, ' +
        'max_by(score, time) AS score, max_by(label, time) AS label, ' +
        'from_milliseconds(max_by(openedAt, time)) AS opened_at, max(time) AS updated_at ' +
        `FROM ${events} WHERE measure_name = ${sql.text(WORK_ORDER_MEASURE)} AND ${since} ` +
        'GROUP BY workOrderId, deviceId, site',
      columns: [
        { name: 'workOrderId', type: 'STRING' },
        { name: 'deviceId', type: 'STRING' },
        { name: 'site', type: 'STRING' },
        { name: 'status', type: 'STRING' },
        { name: 'severity', type: 'STRING' },
        { name: 'score', type: 'DECIMAL' },
        { name: 'label', type: 'STRING' },
        { name: 'opened_at', type: 'DATETIME' },
        { name: 'updated_at', type: 'DATETIME' },
      ],
    },
  };
}
