import { z } from 'zod';
import { EnvParts, storeEnv } from '../shared/env';

/** What the stream processor's index.ts reads; its construct sets each of these. */
export const StreamProcessorEnv = storeEnv(
  {
    ...EnvParts.quarantineBucket,
    ...EnvParts.modelBucket,
    ...EnvParts.anomalyResponse,
    ...EnvParts.lakeReadings,
    ...EnvParts.lakeEvents,
    ...EnvParts.detectorStateTable,
    /**
     * A device's detector state is saved at most this often (seconds of reading time), and at once
     * when its anomaly episode opens, escalates or closes: what a cold start may have to do without.
     */
    DETECTOR_STATE_SAVE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
    /** How long scoring waits for the SageMaker endpoint before the in-process detector answers. */
    SCORING_TIMEOUT_MS: z.coerce.number().int().min(50).default(800),
  },
  { ...EnvParts.telemetryTable, ...EnvParts.eventsTable },
);

/** The stream processor's CloudWatch metrics (Powertools namespace and service), for its alarms too. */
export const PIPELINE_METRICS = { namespace: 'aiot', service: 'stream-processor' } as const;
