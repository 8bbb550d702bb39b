import BetterSqlite3 from 'better-sqlite3';
import type { AckedMessage } from './fleet-process';

/** What became of the messages the broker acknowledged to the devices, read from the store itself. */
export interface FleetAudit {
  /** Messages the broker acknowledged. */
  readonly acked: number;
  /** Of those, found whole in the store, every reading at its original time. */
  readonly stored: number;
  /** Found in the quarantine (whole messages, or their readings the store refused). */
  readonly quarantined: number;
  /** Stored with more rows than the message had readings (a replay stored twice). */
  readonly duplicated: number;
  /** Stored, but not at the times the device gave its readings. */
  readonly retimed: number;
  /** Neither stored nor quarantined. */
  readonly lost: number;
  /** A few of the lost, `device/seq`, to look for. */
  readonly lostSample: readonly string[];
  /** Quarantine items that are none of these messages (bad input, for the fuzz scenario). */
  readonly otherQuarantined: number;
  /** Quarantine items whose reason is empty. */
  readonly withoutReason: number;
  /** Quarantine items by where they were caught. */
  readonly quarantineBySource: Readonly<Record<string, number>>;
}

/** The device and sequence number a quarantined payload names, when it is a (rule-wrapped) message or record. */
function messageKey(payload: string, encoding: string): string | undefined {
  if (encoding !== 'utf8' || !payload.startsWith('{')) return undefined;
  try {
    const o = JSON.parse(payload) as { deviceId?: unknown; seq?: unknown };
    return typeof o.deviceId === 'string' && typeof o.seq === 'number' ? `${o.deviceId}/${o.seq}` : undefined;
  } catch {
    return undefined;
  }
}

/** Checks every acknowledged message (per device: seq, first and last reading time, readings) against the store file. */
export function auditStore(
  dbFile: string,
  acked: Readonly<Record<string, readonly AckedMessage[]>>,
): FleetAudit {
  const db = new BetterSqlite3(dbFile, { readonly: true });
  try {
    const stored = new Map<string, { n: number; lo: number; hi: number }>();
    for (const r of db
      .prepare(
        'SELECT device_id, seq, count(*) AS n, min(time) AS lo, max(time) AS hi FROM readings GROUP BY device_id, seq',
      )
      .iterate() as Iterable<{ device_id: string; seq: number; n: number; lo: number; hi: number }>) {
      stored.set(`${r.device_id}/${r.seq}`, { n: r.n, lo: r.lo, hi: r.hi });
    }
    const quarantinedKeys = new Map<string, number>();
    let items = 0;
    let withoutReason = 0;
    for (const q of db.prepare('SELECT payload, encoding, reason FROM quarantine').iterate() as Iterable<{
      payload: string;
      encoding: string;
      reason: string;
    }>) {
      items++;
      if (q.reason.trim() === '') withoutReason++;
      const key = messageKey(q.payload, q.encoding);
      if (key) quarantinedKeys.set(key, (quarantinedKeys.get(key) ?? 0) + 1);
    }
    const bySource = Object.fromEntries(
      (
        db.prepare('SELECT source, count(*) AS n FROM quarantine GROUP BY source').all() as {
          source: string;
          n: number;
        }[]
      ).map((r) => [r.source, r.n]),
    );
    let total = 0;
    let whole = 0;
    let quarantined = 0;
    let duplicated = 0;
    let retimed = 0;
    let ours = 0;
    const lost: string[] = [];
    for (const [deviceId, messages] of Object.entries(acked)) {
      for (const [seq, firstTs, lastTs, readings] of messages) {
        total++;
        const key = `${deviceId}/${seq}`;
        const row = stored.get(key);
        const inQuarantine = quarantinedKeys.get(key) ?? 0;
        ours += inQuarantine;
        if (row && row.n > readings) duplicated++;
        if (row && (row.lo !== firstTs || row.hi !== lastTs)) retimed++;
        if (row && row.n >= readings) whole++;
        else if (inQuarantine > 0) quarantined++;
        else lost.push(key);
      }
    }
    return {
      acked: total,
      stored: whole,
      quarantined,
      duplicated,
      retimed,
      lost: lost.length,
      lostSample: lost.slice(0, 5),
      otherQuarantined: items - ours,
      withoutReason,
      quarantineBySource: bySource,
    };
  } finally {
    db.close();
  }
}
