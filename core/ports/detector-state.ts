import { z } from 'zod';

/**
 * A device's scoring state as it is kept between runs: a JSON object the scorer owns (a detector
 * snapshot, the device's open anomaly episode, …) with a numeric `version` of its format, so a
 * reader refuses a format it does not know instead of misreading it. The store keeps it as is.
 */
export type DetectorStateJson = { readonly version: number } & Readonly<Record<string, unknown>>;

export interface SavedDetectorState {
  readonly deviceId: string;
  readonly state: DetectorStateJson;
  /** Epoch ms of the save. */
  readonly savedAt: number;
}

/** A state a store would not keep, and why; the others of the same call are kept. */
export interface RefusedDetectorState {
  readonly deviceId: string;
  readonly reason: 'too-large' | 'invalid';
  readonly detail: string;
}

export interface PutDetectorStatesResult {
  readonly saved: number;
  readonly refused: readonly RefusedDetectorState[];
}

/**
 * Where per-device detector state survives restarts (the stream processor's cold starts, the
 * local runtime's stops). Reads and writes are by many devices at once: a scorer loads the
 * devices of a batch in one call and saves what changed in one call.
 */
export interface DetectorStateStore {
  /** The saved states of these devices; a device never saved (or expired) is absent. Unreachable → throws. */
  getMany(deviceIds: readonly string[]): Promise<Map<string, SavedDetectorState>>;
  /**
   * Saves each state, replacing the device's previous one; when a call names a device twice, the
   * last one is kept. A state larger than {@link MAX_DETECTOR_STATE_BYTES} or not a versioned
   * JSON object is refused with its reason, and the rest are saved. Unreachable → throws.
   */
  putMany(states: readonly SavedDetectorState[]): Promise<PutDetectorStatesResult>;
}

/**
 * Largest state (its JSON, UTF-8) any store keeps: one rule for every adapter. It comes from
 * DynamoDB, whose items are at most 400 KB, attribute names and values together
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-items),
 * less headroom for the key and bookkeeping attributes. A detector follows at most 32 measures
 * at a few KB each (docs/detector.md), far below it.
 */
export const MAX_DETECTOR_STATE_BYTES = 256 * 1024;

const SavedDetectorStateSchema = z.strictObject({
  deviceId: z.string().min(1).max(128),
  state: z.looseObject({ version: z.number().int().min(0) }),
  savedAt: z.number().int().min(0),
});

/**
 * Checks one state for any store and serializes it: its JSON, or the refusal. Adapters call this
 * first, so every backend refuses the same states for the same reasons.
 */
export function encodeDetectorState(
  s: SavedDetectorState,
): { ok: true; json: string } | { ok: false; refusal: RefusedDetectorState } {
  const deviceId = typeof s?.deviceId === 'string' ? s.deviceId : String(s?.deviceId);
  const parsed = SavedDetectorStateSchema.safeParse(s);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return { ok: false, refusal: { deviceId, reason: 'invalid', detail } };
  }
  const json = JSON.stringify(s.state);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_DETECTOR_STATE_BYTES) {
    return {
      ok: false,
      refusal: {
        deviceId,
        reason: 'too-large',
        detail: `state of ${bytes} bytes exceeds the ${MAX_DETECTOR_STATE_BYTES}-byte limit`,
      },
    };
  }
  return { ok: true, json };
}

/** The last state given for each device, in the order the devices first appear. */
export function lastPerDevice(states: readonly SavedDetectorState[]): SavedDetectorState[] {
  const byDevice = new Map<string, SavedDetectorState>();
  for (const s of states) byDevice.set(s?.deviceId, s);
  return [...byDevice.values()];
}
