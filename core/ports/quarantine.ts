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
