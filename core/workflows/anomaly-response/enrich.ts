import type { DeviceDirectory, HistoryReader, TelemetryRecord } from '../../ports';

import type { AnomalyResponseInput } from './start';

export interface MeasureSummary {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly last: number;
}

export interface Enrichment {
  readonly available: boolean;
  readonly readings: number;
  readonly measures: Readonly<Record<string, MeasureSummary>>;
  readonly device: Readonly<Record<string, string>>;
  readonly known: boolean;
}

/** How much history is looked at before the anomaly. */
export const HISTORY_LOOKBACK_MS = 60 * 60_000;

export function summarize(records: readonly TelemetryRecord[]): Record<string, MeasureSummary> {
  const acc: Record<
    string,
    { count: number; min: number; max: number; sum: number; last: number; at: number }
  > = {};
  for (const r of records) {
    for (const [name, v] of Object.entries(r.measures)) {
      if (!Number.isFinite(v)) continue;
      const a = acc[name];
      if (!a) acc[name] = { count: 1, min: v, max: v, sum: v, last: v, at: r.time };
      else {
        a.count++;
        a.min = Math.min(a.min, v);
        a.max = Math.max(a.max, v);
        a.sum += v;
        if (r.time >= a.at) {
          a.last = v;
          a.at = r.time;
        }
      }
    }
  }
  return Object.fromEntries(
    Object.entries(acc).map(([k, a]) => [
      k,
      { count: a.count, min: a.min, max: a.max, mean: a.sum / a.count, last: a.last },
    ]),
  );
}

export async function enrich(
  input: AnomalyResponseInput,
  deps: { history: HistoryReader; devices: DeviceDirectory },
): Promise<Enrichment> {
  const { event } = input;
  const [records, device] = await Promise.all([
    deps.history.recent(event.deviceId, event.ts - HISTORY_LOOKBACK_MS, event.ts + 1),
    deps.devices.describe(event.deviceId),
  ]);
  return {
    available: true,
    readings: records.length,
    measures: summarize(records),
    device: device ?? {},
    known: device !== undefined,
  };
}
