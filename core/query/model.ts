import { z } from 'zod';
import { AnomalyEventSchema } from '../events';
import type { QueryStore, TimeSeriesQueries, WorkOrderReader } from '../ports';
import { SEVERITIES, type Severity } from '../severity';
import { DeviceIdSchema, SiteSchema } from '../telemetry';

/**
 * The read side's model: what operators and applications get from the time-series store and the
 * work orders (the port itself, `QueryStore`, is in core/ports), and the rules every adapter of it
 * shares: health, cursors, pages.
 */

/** Rollup resolutions of telemetry queries; `raw` returns every reading (count 1). */
export const RESOLUTIONS = ['raw', '1m', '5m', '15m', '1h', '1d'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];
export const RESOLUTION_MS: Readonly<Record<Resolution, number>> = {
  raw: 1,
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
};

export const HEALTH_STATES = ['ok', 'warning', 'critical', 'stale'] as const;
export type Health = (typeof HEALTH_STATES)[number];

/**
 * A failure prediction (predictive maintenance model): the probability that the device fails
 * within `horizonMs` of `ts`. Stored beside the anomalies (Timestream `events` table, measure
 * name `prediction`, attributes `probability` DOUBLE and `horizonMs` BIGINT, dimensions
 * `deviceId`, `site`, `source`).
 */
export const PredictionSchema = z.strictObject({
  deviceId: DeviceIdSchema,
  site: SiteSchema,
  /** Epoch ms of the features' end. */
  ts: z.number().int().positive(),
  probability: z.number().min(0).max(1),
  horizonMs: z.number().int().positive(),
  /** Which model produced it (endpoint name, model version, …). */
  source: z.string().min(1).max(64),
});
export type Prediction = z.infer<typeof PredictionSchema>;

export const LatestReadingSchema = z.object({
  /** Epoch ms of the newest reading. */
  time: z.number().int(),
  seq: z.number().int(),
  measures: z.record(z.string(), z.number()),
});

export const DeviceSummarySchema = z.object({
  deviceId: DeviceIdSchema,
  site: SiteSchema,
  /** `critical`/`warning`: such an anomaly within the recent window; `stale`: no data lately. */
  health: z.enum(HEALTH_STATES),
  latest: LatestReadingSchema,
  lastAnomaly: z.object({ ts: z.number().int(), severity: z.enum(SEVERITIES), score: z.number() }).optional(),
});
export type DeviceSummary = z.infer<typeof DeviceSummarySchema>;

export const DeviceDetailSchema = DeviceSummarySchema.extend({
  /** Epoch ms of the oldest reading the store holds (within its lookback). */
  firstSeen: z.number().int(),
  /** Anomalies within the recent window, by severity. */
  recentAnomalies: z.object({
    info: z.number().int(),
    warning: z.number().int(),
    critical: z.number().int(),
  }),
  latestPrediction: PredictionSchema.optional(),
});
export type DeviceDetail = z.infer<typeof DeviceDetailSchema>;

export const TelemetryPointSchema = z.object({
  /** Start of the bucket (the reading's time at `raw`), epoch ms. */
  t: z.number().int(),
  measure: z.string(),
  avg: z.number(),
  min: z.number(),
  max: z.number(),
  count: z.number().int(),
});
export type TelemetryPoint = z.infer<typeof TelemetryPointSchema>;

export { AnomalyEventSchema };

/** One QueryStore from a time-series adapter and the work-order store. */
export function composeQueryStore(timeseries: TimeSeriesQueries, workOrders: WorkOrderReader): QueryStore {
  return {
    listDevices: (p) => timeseries.listDevices(p),
    getDevice: (id) => timeseries.getDevice(id),
    telemetry: (q) => timeseries.telemetry(q),
    anomalies: (q) => timeseries.anomalies(q),
    predictions: (q) => timeseries.predictions(q),
    workOrders: (q) => workOrders.list(q),
  };
}

/** Settings of health and device lists shared by the adapters. */
export interface HealthPolicy {
  /** No reading for longer than this makes a device `stale`. @default 5 minutes */
  readonly staleAfterMs: number;
  /** Anomalies this recent decide `warning`/`critical`. @default 15 minutes */
  readonly recentWindowMs: number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = { staleAfterMs: 5 * 60_000, recentWindowMs: 15 * 60_000 };

/**
 * A device's health from its newest reading and the worst severity among its recent anomalies.
 * A critical anomaly outranks silence (the operator must see it first); silence outranks a warning.
 */
export function deviceHealth(
  lastReadingAt: number,
  worstRecentSeverity: Severity | undefined,
  now: number,
  policy: HealthPolicy = DEFAULT_HEALTH_POLICY,
): Health {
  if (worstRecentSeverity === 'critical') return 'critical';
  if (now - lastReadingAt > policy.staleAfterMs) return 'stale';
  if (worstRecentSeverity === 'warning') return 'warning';
  return 'ok';
}
