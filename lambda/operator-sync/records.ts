import type { _Record } from '@aws-sdk/client-timestream-write';
import type { WorkOrder } from '../../core/workorders';

/** Measure name of work-order records in the `events` table. */
export const WORK_ORDER_MEASURE = 'work_order';

/**
 * One status of a work order as a multi-measure record of the `events` table, at its
 * `updatedAt`, versioned by it: the same state written twice is the same record.
 */
export function toWorkOrderRecord(o: WorkOrder): _Record {
  return {
    Dimensions: [
      { Name: 'deviceId', Value: o.deviceId },
      { Name: 'site', Value: o.site },
      { Name: 'workOrderId', Value: o.id },
    ],
    MeasureName: WORK_ORDER_MEASURE,
    MeasureValueType: 'MULTI',
    MeasureValues: [
      { Name: 'status', Value: o.status, Type: 'VARCHAR' },
      { Name: 'severity', Value: o.severity, Type: 'VARCHAR' },
      { Name: 'score', Value: String(o.score), Type: 'DOUBLE' },
      { Name: 'openedAt', Value: String(o.openedAt), Type: 'BIGINT' },
      // Timestream refuses empty VARCHARs: an order without a verdict says so.
      { Name: 'label', Value: o.label ?? 'none', Type: 'VARCHAR' },
    ],
    Time: String(o.updatedAt),
    TimeUnit: 'MILLISECONDS',
    Version: o.updatedAt,
  };
}
