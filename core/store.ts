/**
 * Ports of the storage side. AWS adapters (Timestream, S3) and local adapters (SQLite)
 * implement them; domain code and handlers see only these interfaces.
 */

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

/** A message or record that cannot be stored, kept with the reason. */
export interface QuarantineItem {
  /** Where it was found: `stream-processor`, `rule-error`, `event-router`, … */
  readonly source: string;
  readonly reason: string;
  /** The payload as received (UTF-8 text when it is text, base64 otherwise). */
  readonly payload: string;
  readonly encoding: 'utf8' | 'base64';
  readonly receivedAt: number;
  readonly deviceId?: string;
  readonly topic?: string;
}

export interface Quarantine {
  put(items: readonly QuarantineItem[]): Promise<void>;
}

/** Builds a quarantine item from raw bytes, keeping text readable and binary intact. */
export function quarantineItem(
  raw: Uint8Array | string,
  fields: Omit<QuarantineItem, 'payload' | 'encoding'>,
): QuarantineItem {
  if (typeof raw === 'string') return { ...fields, payload: raw, encoding: 'utf8' };
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const text = buf.toString('utf8');
  // Round-trip check: only text that survives UTF-8 decoding unchanged is kept as text.
  if (Buffer.from(text, 'utf8').equals(buf)) return { ...fields, payload: text, encoding: 'utf8' };
  return { ...fields, payload: buf.toString('base64'), encoding: 'base64' };
}

/** Where anomaly events (from the edge or the cloud path) are kept for operators and the API. */
export interface EventStore {
  putAnomalies(events: readonly import('./events').AnomalyEvent[]): Promise<void>;
}
