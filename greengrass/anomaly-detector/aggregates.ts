import { z } from 'zod';
import { DeviceIdSchema, SiteSchema } from '../../core/telemetry';

/** Per-window summaries the edge sends to the cloud on `dt/aiot/<site>/<deviceId>/aggregates`. */
export const AGGREGATES_SCHEMA_VERSION = 'aiot.aggregates/1';

const MeasureSummarySchema = z.strictObject({
  count: z.number().int().min(1),
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  last: z.number(),
});

export const AggregatesMessageSchema = z.strictObject({
  schema: z.literal(AGGREGATES_SCHEMA_VERSION),
  deviceId: DeviceIdSchema,
  site: SiteSchema,
  /** Window bounds, epoch ms: [windowStart, windowEnd). */
  windowStart: z.number().int(),
  windowEnd: z.number().int(),
  /** Readings in the window. */
  readings: z.number().int().min(1),
  units: z.record(z.string(), z.string()),
  measures: z.record(z.string(), MeasureSummarySchema),
  /** Highest detector score in the window, and how many readings scored as anomalies. */
  maxScore: z.number().min(0).max(1),
  anomalies: z.number().int().min(0),
});
export type AggregatesMessage = z.infer<typeof AggregatesMessageSchema>;

/** Running summary of one device's current window. */
export class WindowAggregate {
  readings = 0;
  maxScore = 0;
  anomalies = 0;
  units: Record<string, string> = {};
  private readonly measures = new Map<
    string,
    { count: number; min: number; max: number; sum: number; last: number }
  >();

  constructor(
    readonly windowStart: number,
    readonly windowEnd: number,
  ) {}

  add(values: Readonly<Record<string, number>>, score: number): void {
    this.readings++;
    if (score > this.maxScore) this.maxScore = score;
    for (const name in values) {
      const v = values[name]!;
      const m = this.measures.get(name);
      if (!m) this.measures.set(name, { count: 1, min: v, max: v, sum: v, last: v });
      else {
        m.count++;
        if (v < m.min) m.min = v;
        if (v > m.max) m.max = v;
        m.sum += v;
        m.last = v;
      }
    }
  }

  toMessage(site: string, deviceId: string): AggregatesMessage {
    const measures: AggregatesMessage['measures'] = {};
    for (const [name, m] of this.measures) {
      measures[name] = { count: m.count, min: m.min, max: m.max, mean: m.sum / m.count, last: m.last };
    }
    return {
      schema: AGGREGATES_SCHEMA_VERSION,
      deviceId,
      site,
      windowStart: this.windowStart,
      windowEnd: this.windowEnd,
      readings: this.readings,
      units: this.units,
      measures,
      maxScore: this.maxScore,
      anomalies: this.anomalies,
    };
  }
}
