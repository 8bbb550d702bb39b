import type { Database, Statement } from 'better-sqlite3';
import { z } from 'zod';
import { decodeCursor, encodeCursor } from '../../core/cursor';
import type { Page, Quarantine, QuarantineItem } from '../../core/ports';

/** A quarantined item as kept, with its position in the quarantine. */
export interface StoredQuarantineItem extends QuarantineItem {
  readonly id: number;
}

export interface QuarantineListing {
  /** Only items from this source (`stream-processor`, `rule-error`, …). */
  readonly source?: string;
  /** @default 50 */
  readonly limit?: number;
  readonly cursor?: string;
}

interface Row {
  id: number;
  source: string;
  reason: string;
  payload: string;
  encoding: 'utf8' | 'base64';
  received_at: number;
  device_id: string | null;
  topic: string | null;
}

const CursorKey = z.strictObject({ id: z.number().int().positive() });

/** The Quarantine port on SQLite: every item kept with its reason, source, topic and time; listable. */
export class SqliteQuarantine implements Quarantine {
  private readonly insert: Statement;
  private readonly putBatch: (items: readonly QuarantineItem[]) => void;
  private readonly countAll: Statement<[], { n: number }>;
  private readonly countBySource: Statement<[], { source: string; n: number }>;

  constructor(private readonly db: Database) {
    this.insert = db.prepare(
      `INSERT INTO quarantine (source, reason, payload, encoding, received_at, device_id, topic)
       VALUES (@source, @reason, @payload, @encoding, @receivedAt, @deviceId, @topic)`,
    );
    this.putBatch = db.transaction((items: readonly QuarantineItem[]) => {
      for (const i of items) {
        this.insert.run({
          source: i.source,
          reason: i.reason,
          payload: i.payload,
          encoding: i.encoding,
          receivedAt: i.receivedAt,
          deviceId: i.deviceId ?? null,
          topic: i.topic ?? null,
        });
      }
    });
    this.countAll = db.prepare('SELECT count(*) AS n FROM quarantine');
    this.countBySource = db.prepare(
      'SELECT source, count(*) AS n FROM quarantine GROUP BY source ORDER BY source',
    );
  }

  async put(items: readonly QuarantineItem[]): Promise<void> {
    this.putBatch(items);
  }

  /** Newest first. */
  list(q: QuarantineListing = {}): Page<StoredQuarantineItem> {
    const limit = q.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new RangeError('limit must be in 1..1000');
    const before = q.cursor ? decodeCursor(q.cursor, CursorKey).id : Number.MAX_SAFE_INTEGER;
    const rows = this.db
      .prepare<[number, string | null, string | null, number], Row>(
        `SELECT * FROM quarantine WHERE id < ? AND (? IS NULL OR source = ?) ORDER BY id DESC LIMIT ?`,
      )
      .all(before, q.source ?? null, q.source ?? null, limit + 1);
    const items = rows.slice(0, limit).map(toItem);
    return rows.length > limit
      ? { items, cursor: encodeCursor({ id: items[items.length - 1]!.id }) }
      : { items };
  }

  count(): number {
    return this.countAll.get()!.n;
  }

  /** How many items each source has quarantined. */
  countsBySource(): Record<string, number> {
    return Object.fromEntries(this.countBySource.all().map((r) => [r.source, r.n]));
  }
}

function toItem(r: Row): StoredQuarantineItem {
  return {
    id: r.id,
    source: r.source,
    reason: r.reason,
    payload: r.payload,
    encoding: r.encoding,
    receivedAt: r.received_at,
    ...(r.device_id !== null ? { deviceId: r.device_id } : {}),
    ...(r.topic !== null ? { topic: r.topic } : {}),
  };
}
