import { z } from 'zod';
import { type DetectorConfig, resolveConfig } from '../../core/detector';

/** The component's name in Greengrass (recipe, deployment, IPC access control). */
export const COMPONENT_NAME = 'com.aiot.AnomalyDetector';

const SafetyLimitSchema = z
  .strictObject({
    /** The value must stay at or below this. */
    max: z.number().optional(),
    /** The value must stay at or above this. */
    min: z.number().optional(),
  })
  .refine((l) => l.max !== undefined || l.min !== undefined, 'a safety limit needs max or min');

/**
 * The component configuration (the recipe's DefaultConfiguration, changed by a deployment's
 * merge): which local topics carry sensor data, the aggregation window, the safety limits that
 * trigger local action, and the detector's settings.
 */
export const EdgeConfigSchema = z.strictObject({
  /** Local topic filters carrying device telemetry (the contract of core/telemetry). */
  sensorTopics: z.array(z.string().min(1)).min(1).default(['dt/aiot/+/+/telemetry']),
  /** Aggregation window (ms): one aggregates message per device and window goes to the cloud. */
  windowMs: z.number().int().min(1000).max(86_400_000).default(60_000),
  /** Lowest severity sent to the cloud as an anomaly event. */
  eventMinSeverity: z.enum(['warning', 'critical']).default('warning'),
  /**
   * Anomalies are told as episodes (core/episodes): a device's first anomalous reading opens one
   * (one event, and one safe-mode command if it is critical), a more severe reading escalates it
   * (one more event; the command if it became critical), and it closes after this long (ms of
   * reading time) without an anomalous reading or a reading near a safety limit. A fault lasting
   * an hour is one episode, not an event a minute and a command every cooldown. Each window's
   * aggregates still count every anomalous reading.
   */
  episodeQuietMs: z.number().int().min(1).default(300_000),
  /**
   * Detector settings (core/detector DetectorConfig overrides); a change restarts learning.
   * The edge grades severity more strictly than the cloud by default: its critical alarms stop
   * machines locally, so a false alarm costs production, and a healthy rotating machine's work
   * cycle scores up to about 0.97.
   */
  detector: z.record(z.string(), z.unknown()).default({ severity: { warning: 0.98, critical: 0.995 } }),
  /** Safety limits per measure; approaching one triggers the local action before it is crossed. */
  safetyLimits: z.record(z.string(), SafetyLimitSchema).default({
    bearing_temp_c: { max: 90 },
    vibration_rms: { max: 11 },
  }),
  /** How close to a limit (fraction of the limit's magnitude) counts as approaching it. */
  safetyMargin: z.number().min(0).max(0.5).default(0.1),
  actuation: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** The command published locally to the device (core/commands). */
      command: z.enum(['safe-mode']).default('safe-mode'),
      /** No second action for the same device within this time (ms), even in a new episode. */
      cooldownMs: z.number().int().min(0).default(300_000),
    })
    .default({ enabled: true, command: 'safe-mode', cooldownMs: 300_000 }),
  /** How often detector state is written to disk (ms). */
  snapshotIntervalMs: z.number().int().min(1000).default(60_000),
  /** Most cloud messages held while offline before the oldest is dropped (and counted). */
  maxOutboxMessages: z.number().int().min(1).default(10_000),
  /** The `source` field of the anomaly events. */
  source: z.string().min(1).max(64).default('edge-detector'),
});
export type EdgeConfig = z.infer<typeof EdgeConfigSchema>;
export type EdgeConfigInput = z.input<typeof EdgeConfigSchema>;

/** The defaults, as the recipe ships them. */
export const DEFAULT_EDGE_CONFIG: EdgeConfig = EdgeConfigSchema.parse({});

/**
 * Validates a configuration (a deployment's merge over the defaults) and the detector settings
 * in it; the error names every bad key.
 */
export function parseEdgeConfig(input: unknown): { config: EdgeConfig; detector: DetectorConfig } {
  const parsed = EdgeConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new Error(`invalid component configuration: ${problems}`);
  }
  const detector = resolveConfig(parsed.data.detector as Partial<DetectorConfig>);
  return { config: parsed.data, detector };
}
