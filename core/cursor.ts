import { z } from 'zod';
import type { Page } from './ports';
import { DeviceIdSchema, MEASURE_NAME_PATTERN } from './telemetry';

/** A cursor this API never handed out (or one tampered with). */
export class InvalidCursor extends Error {
  override readonly name = 'InvalidCursor';
  constructor(options?: { cause?: unknown }) {
    super('invalid pagination cursor', options);
  }
}

/** Opaque cursors: base64url JSON of the last item's sort key, checked against a schema when read. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The sort key a cursor carries; {@link InvalidCursor} when it is not one of `schema`'s shape. */
export function decodeCursor<S extends z.ZodType>(cursor: string, schema: S): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new InvalidCursor({ cause });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new InvalidCursor({ cause: parsed.error });
  return parsed.data;
}

/** Sort keys carried by cursors, one per kind of list. */
export const CursorKeys = {
  device: z.strictObject({ d: DeviceIdSchema }),
  telemetry: z.strictObject({ t: z.number().int(), m: z.string().regex(MEASURE_NAME_PATTERN) }),
  event: z.strictObject({ t: z.number().int(), d: DeviceIdSchema, s: z.string().min(1).max(64) }),
  /** Work orders, newest first: the page ends at (openedAt, id). */
  workOrder: z.tuple([z.number().int(), z.string().min(1)]),
} as const;

/** `rows` of length `limit + 1` → the page and a cursor built from its last item. */
export function toPage<T>(rows: readonly T[], limit: number, keyOf: (last: T) => unknown): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  return { items, cursor: encodeCursor(keyOf(items[items.length - 1]!)) };
}
