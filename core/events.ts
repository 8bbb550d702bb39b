import { z } from 'zod';
import { SeveritySchema } from './severity';
import { DeviceIdSchema, SiteSchema } from './telemetry';

/** Anomaly events: what the edge (or the cloud stream path) publishes when it finds one. */
export const EVENT_SCHEMA_VERSION = 'aiot.event/1';

export const AnomalyEventSchema = z.strictObject({
  schema: z.literal(EVENT_SCHEMA_VERSION),
  kind: z.literal('anomaly'),
  deviceId: DeviceIdSchema,
  site: SiteSchema,
  /** Epoch ms of the reading that raised the event. */
  ts: z.number().int().positive(),
  /** Detector score in [0, 1]. */
  score: z.number().min(0).max(1),
  severity: SeveritySchema,
  /** Measures that contributed most, with the values seen. */
  measures: z.record(z.string(), z.number().refine(Number.isFinite, 'finite numbers only')),
  /** Which detector produced the score (edge detector, cloud endpoint, fallback …). */
  source: z.string().min(1).max(64),
  /**
   * Epoch ms of the reading that opened the anomaly episode this event belongs to
   * (core/episodes.ts): equal to `ts` on the event that opens it, earlier on an escalation.
   * Only an opening event starts the response workflow. Absent: an event of its own (a producer
   * that does not group its anomalies), which starts it too. Carried in flight; the event
   * stores keep the reading's fields.
   */
  episodeStart: z.number().int().positive().optional(),
});
export type AnomalyEvent = z.infer<typeof AnomalyEventSchema>;
