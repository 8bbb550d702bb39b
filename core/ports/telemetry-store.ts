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
