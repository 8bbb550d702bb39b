import type { AnomalyEvent } from '../events';
import type { DeviceDetail, DeviceSummary, Prediction, Resolution, TelemetryPoint } from '../query/model';
import type { Severity } from '../severity';
import type { ListWorkOrders, WorkOrderPage } from './work-order-store';

export interface Page<T> {
  readonly items: readonly T[];
  /** Pass back to get the next page; absent on the last page. */
  readonly cursor?: string;
}

export interface PageRequest {
  /** Page size (the routes validate it; adapters trust it). */
  readonly limit: number;
  readonly cursor?: string;
}

export interface TelemetryQuery extends PageRequest {
  readonly deviceId: string;
  /** Epoch ms, inclusive. */
  readonly from: number;
  /** Epoch ms, exclusive. */
  readonly to: number;
  /** One measure; every measure of the device when absent. */
  readonly measure?: string;
  readonly resolution: Resolution;
}

export interface AnomalyQuery extends PageRequest {
  readonly from: number;
  readonly to: number;
  /** Only these severities; all when absent. */
  readonly severities?: readonly Severity[];
  readonly deviceId?: string;
}

export interface PredictionQuery extends PageRequest {
  readonly deviceId?: string;
  readonly from: number;
  readonly to: number;
}

/** The time-series half of the read port (telemetry, anomalies, predictions). */
export interface TimeSeriesQueries {
  listDevices(page: PageRequest): Promise<Page<DeviceSummary>>;
  getDevice(deviceId: string): Promise<DeviceDetail | undefined>;
  /** Oldest first. */
  telemetry(q: TelemetryQuery): Promise<Page<TelemetryPoint>>;
  /** Newest first. */
  anomalies(q: AnomalyQuery): Promise<Page<AnomalyEvent>>;
  /** Newest first. */
  predictions(q: PredictionQuery): Promise<Page<Prediction>>;
}

/** Everything the query API reads. */
export interface QueryStore extends TimeSeriesQueries {
  workOrders(q: ListWorkOrders): Promise<WorkOrderPage>;
}
