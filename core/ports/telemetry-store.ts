import { DEVICE_ID_PATTERN, MEASURE_NAME_PATTERN, SITE_PATTERN, TELEMETRY_LIMITS } from '../telemetry';

/** Where validated readings are written: the hot time-series store. */

/** One stored row: a device's measures at one instant. */
export interface TelemetryRecord {
  readonly deviceId: string;
  readonly site: string;
  /** Epoch milliseconds. */
  readonly time: number;
  /** The device message's sequence number (for deduplication and tracing). */
  readonly seq: number;
  readonly measures: Readonly<Record<string, number>>;
}

export type RejectionKind = 'out-of-retention' | 'invalid' | 'conflict';

export interface RejectedRecord {
  /** Index into the array given to {@link TelemetryStore.write}. */
  readonly index: number;
  readonly kind: RejectionKind;
  readonly reason: string;
}

export interface WriteResult {
  /** Records the store holds after the call (identical duplicates included). */
  readonly written: number;
  readonly rejected: readonly RejectedRecord[];
}

export interface TelemetryStore {
  /**
   * Writes records; a record the store refuses comes back in `rejected` with its reason while
   * the others are written. Throws only when the store cannot be reached or keeps throttling:
   * then nothing can be said about the batch and the caller retries it.
   */
  write(records: readonly TelemetryRecord[]): Promise<WriteResult>;
}

/**
 * Why a store refuses a record outright (kind `invalid`), or undefined: the same rule for every
 * adapter, so a record one backend stores is never one another refuses as invalid.
 */
export function invalidRecordReason(r: TelemetryRecord): string | undefined {
  if (!DEVICE_ID_PATTERN.test(r.deviceId)) return 'deviceId must match [A-Za-z0-9_-]{1,128}';
  if (!SITE_PATTERN.test(r.site)) return 'site must match [a-z0-9][a-z0-9-]{0,63}';
  if (!Number.isSafeInteger(r.time) || r.time <= 0) return 'time must be positive epoch milliseconds';
  if (!Number.isSafeInteger(r.seq) || r.seq < 0) return 'seq must be a non-negative integer';
  const names = Object.keys(r.measures);
  if (names.length === 0) return 'a record needs at least one measure';
  for (const name of names) {
    if (!MEASURE_NAME_PATTERN.test(name)) return `measure name "${name}" must match [a-z][a-z0-9_]{0,63}`;
    const v = r.measures[name]!;
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > TELEMETRY_LIMITS.maxAbsValue) {
      return `measure "${name}" must be a finite number within ±${TELEMETRY_LIMITS.maxAbsValue}`;
    }
  }
  return undefined;
}
