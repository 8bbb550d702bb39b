import { type Quarantine, quarantineItem, type TelemetryRecord, type TelemetryStore } from './ports';
import { parseTelemetry, type TelemetryMessage } from './telemetry';

/** One stored row per reading: the measures of a device at one instant. */
export function toRecords(msg: TelemetryMessage): TelemetryRecord[] {
  return msg.readings.map((r) => ({
    deviceId: msg.deviceId,
    site: msg.site,
    time: r.ts,
    seq: msg.seq,
    measures: r.values,
  }));
}

export interface IngestContext {
  readonly store: TelemetryStore;
  readonly quarantine: Quarantine;
  /** Epoch ms; the clock is injected so tests and replays are deterministic. */
  readonly now: number;
  /** Where the payload came from, recorded with anything quarantined. */
  readonly source: string;
  readonly topic?: string;
}

export type IngestOutcome =
  | {
      readonly status: 'stored';
      readonly message: TelemetryMessage;
      readonly stored: number;
      readonly rejected: number;
    }
  | { readonly status: 'quarantined'; readonly reason: string };

/**
 * Takes one device message from raw bytes to the store. A bad message goes to the quarantine
 * with its reason; records the store refuses go there one by one with theirs. Only a failure
 * to reach the store (or the quarantine) throws, so the caller can retry that message alone.
 */
export async function ingestMessage(raw: Uint8Array | string, ctx: IngestContext): Promise<IngestOutcome> {
  const parsed = parseTelemetry(raw, { now: ctx.now });
  if (!parsed.ok) {
    await ctx.quarantine.put([
      quarantineItem(raw, {
        source: ctx.source,
        reason: parsed.reason,
        receivedAt: ctx.now,
        topic: ctx.topic,
      }),
    ]);
    return { status: 'quarantined', reason: parsed.reason };
  }
  const message = parsed.value;
  const records = toRecords(message);
  const result = await ctx.store.write(records);
  if (result.rejected.length > 0) {
    await ctx.quarantine.put(
      result.rejected.map((rej) =>
        quarantineItem(JSON.stringify(records[rej.index]), {
          source: ctx.source,
          reason: `store rejected the record (${rej.kind}): ${rej.reason}`,
          receivedAt: ctx.now,
          deviceId: message.deviceId,
          topic: ctx.topic,
        }),
      ),
    );
  }
  return { status: 'stored', message, stored: result.written, rejected: result.rejected.length };
}
