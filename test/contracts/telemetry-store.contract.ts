import type { TelemetryRecord, TelemetryStore } from '../../core/ports';
import { contractEnv, DAY, type Disposable, eachTest, HOUR, MIN, type SubjectEntry } from './harness/subject';

/** Where a backend legitimately differs from another; each declared value says why. */
export interface TelemetryStoreCapabilities {
  /**
   * The oldest record the store accepts, as an age from now; older ones are rejected as
   * `out-of-retention`. Absent: any age is accepted.
   */
  readonly maxAgeMs?: number;
  /** How far ahead of now a record may be; later ones are rejected as `out-of-retention`. Absent: no limit. */
  readonly maxLeadMs?: number;
  /**
   * Whether the site is part of a record's identity. When it is, a record for the same device
   * and time at another site is a different record (both kept); otherwise it is a conflict.
   */
  readonly siteInIdentity: boolean;
  /** The service throttles under load; the adapter retries before it gives up. */
  readonly throttles?: boolean;
}

export interface TelemetryStoreSubject extends Disposable {
  readonly store: TelemetryStore;
  /** The device's records as the backend holds them, oldest first (site order within an instant). */
  readBack(deviceId: string): Promise<TelemetryRecord[]>;
  /** From now on the backend cannot be reached. */
  cutOff(): void;
  /** The backend throttles the next `calls` calls (for backends declaring `throttles`). */
  throttle?(calls: number): void;
}

const reading = (
  deviceId: string,
  time: number,
  seq: number,
  measures: Record<string, number> = { temp: 20 + seq, rpm: 1400 + seq },
  site = 'plant-1',
): TelemetryRecord => ({ deviceId, site, time, seq, measures });

/**
 * The TelemetryStore port (core/ports/telemetry-store.ts): refused records come back with their
 * index, kind and reason while the rest are written; identical replays are accepted and stored
 * once; only an unreachable (or persistently throttling) store throws.
 */
export function telemetryStoreContract({
  name,
  capabilities,
  make,
  prepare,
}: SubjectEntry<TelemetryStoreSubject, TelemetryStoreCapabilities>): void {
  describe(`TelemetryStore contract: ${name}`, () => {
    prepare?.();
    const env = contractEnv();
    const NOW = env.now;
    const s = eachTest(make, env);

    it('when an empty batch is written, nothing is written and nothing is rejected', async () => {
      expect(await s.store.write([])).toEqual({ written: 0, rejected: [] });
    });

    it('when a batch is written, every record is stored as given, for every device', async () => {
      const batch = [
        reading('pump-1', NOW - 3 * MIN, 1),
        reading('pump-2', NOW - 3 * MIN, 7, { vibration: 0.25 }),
        reading('pump-1', NOW - 2 * MIN, 2),
        reading('pump-1', NOW - 5 * MIN, 0, { temp: -12.5 }),
      ];
      expect(await s.store.write(batch)).toEqual({ written: 4, rejected: [] });
      expect(await s.readBack('pump-1')).toEqual([batch[3], batch[0], batch[2]]);
      expect(await s.readBack('pump-2')).toEqual([batch[1]]);
      expect(await s.readBack('pump-3')).toEqual([]);
    });

    it('when the identical batch is written again (a replay), it is accepted and stored once', async () => {
      const batch = [reading('pump-1', NOW - 2 * MIN, 1), reading('pump-1', NOW - MIN, 2)];
      await s.store.write(batch);
      expect(await s.store.write(batch)).toEqual({ written: 2, rejected: [] });
      expect(await s.readBack('pump-1')).toEqual(batch);
    });

    it('when another record for the same device and time arrives, it is rejected as a conflict with its index and the rest is written', async () => {
      const first = reading('pump-1', NOW - 2 * MIN, 1);
      await s.store.write([first]);
      const result = await s.store.write([
        reading('pump-1', NOW - MIN, 2),
        reading('pump-1', NOW - 2 * MIN, 1, { temp: 99, rpm: 1401 }),
        reading('pump-1', NOW - 2 * MIN, 5, first.measures),
        reading('pump-2', NOW - 2 * MIN, 1),
      ]);
      expect(result.written).toBe(2);
      expect(result.rejected.map((r) => [r.index, r.kind])).toEqual([
        [1, 'conflict'],
        [2, 'conflict'],
      ]);
      for (const r of result.rejected) expect(r.reason.length).toBeGreaterThan(10);
      expect(await s.readBack('pump-1')).toEqual([first, reading('pump-1', NOW - MIN, 2)]);
      expect(await s.readBack('pump-2')).toEqual([reading('pump-2', NOW - 2 * MIN, 1)]);
    });

    it('when the same device and time comes from another site, the store follows its identity rule', async () => {
      const a = reading('pump-1', NOW - MIN, 1, { temp: 20 }, 'plant-1');
      const b = reading('pump-1', NOW - MIN, 1, { temp: 20 }, 'plant-2');
      const result = await s.store.write([a, b]);
      if (capabilities.siteInIdentity) {
        expect(result).toEqual({ written: 2, rejected: [] });
        expect(await s.readBack('pump-1')).toEqual([a, b]);
      } else {
        expect(result.written).toBe(1);
        expect(result.rejected.map((r) => [r.index, r.kind])).toEqual([[1, 'conflict']]);
        expect(await s.readBack('pump-1')).toEqual([a]);
      }
    });

    it('when records are invalid, each is rejected as invalid with a reason naming the fault and the valid ones are written', async () => {
      const valid = [reading('pump-1', NOW - 3 * MIN, 1), reading('pump-1', NOW - MIN, 3)];
      const result = await s.store.write([
        reading('pump 1', NOW - 2 * MIN, 1),
        valid[0]!,
        reading('pump-1', NOW - 2 * MIN, 2, { temp: Number.NaN }),
        reading('pump-1', NOW - 2 * MIN, 2, { temp: Number.POSITIVE_INFINITY }),
        reading('pump-1', NOW - 2 * MIN, 2, {}),
        reading('pump-1', NOW - 2 * MIN, 2, { 'Temp C': 1 }),
        reading('pump-1', NOW - 2 * MIN + 0.5, 2),
        reading('pump-1', NOW - 2 * MIN, -1),
        reading('pump-1', NOW - 2 * MIN, 2, { temp: 1 }, 'Plant 1'),
        valid[1]!,
      ]);
      expect(result.written).toBe(2);
      expect(result.rejected.map((r) => r.index)).toEqual([0, 2, 3, 4, 5, 6, 7, 8]);
      expect(new Set(result.rejected.map((r) => r.kind))).toEqual(new Set(['invalid']));
      const reasons = result.rejected.map((r) => r.reason);
      expect(reasons[0]).toMatch(/deviceId/);
      expect(reasons[1]).toMatch(/temp.*finite/);
      expect(reasons[2]).toMatch(/temp.*finite/);
      expect(reasons[3]).toMatch(/at least one measure/);
      expect(reasons[4]).toMatch(/Temp C/);
      expect(reasons[5]).toMatch(/time/);
      expect(reasons[6]).toMatch(/seq/);
      expect(reasons[7]).toMatch(/site/);
      expect(await s.readBack('pump-1')).toEqual(valid);
    });

    it('when a batch is larger than one service call takes, every record is written and rejections keep their index in the whole batch', async () => {
      const batch = Array.from({ length: 250 }, (_, i) =>
        reading(`pump-${i % 3}`, NOW - 30 * MIN + i * 1000, i),
      );
      await s.store.write([batch[180]!]);
      const conflicting = { ...batch[180]!, measures: { temp: -1 } };
      const invalid = { ...batch[230]!, deviceId: 'not valid' };
      const result = await s.store.write(
        batch.map((r, i) => (i === 180 ? conflicting : i === 230 ? invalid : r)),
      );
      expect(result.written).toBe(248);
      expect(result.rejected.map((r) => [r.index, r.kind])).toEqual([
        [180, 'conflict'],
        [230, 'invalid'],
      ]);
      const stored = (await Promise.all(['pump-0', 'pump-1', 'pump-2'].map((d) => s.readBack(d)))).flat();
      expect(stored).toHaveLength(249);
      expect(stored.find((r) => r.seq === 180)).toEqual(batch[180]);
    });

    it('when a record lies outside what the store keeps, it is rejected as out-of-retention (or kept, by a store that keeps everything)', async () => {
      const tooOld = reading('pump-1', NOW - (capabilities.maxAgeMs ?? 400 * DAY) - HOUR, 1);
      const tooNew = reading('pump-1', NOW + (capabilities.maxLeadMs ?? DAY) + HOUR, 2);
      const fine = reading('pump-1', NOW - MIN, 3);
      const result = await s.store.write([tooOld, fine, tooNew]);
      const expected = [
        ...(capabilities.maxAgeMs !== undefined ? [[0, 'out-of-retention']] : []),
        ...(capabilities.maxLeadMs !== undefined ? [[2, 'out-of-retention']] : []),
      ];
      expect(result.rejected.map((r) => [r.index, r.kind])).toEqual(expected);
      expect(result.written).toBe(3 - expected.length);
      const stored = await s.readBack('pump-1');
      expect(stored).toContainEqual(fine);
      expect(stored).toHaveLength(3 - expected.length);
    });

    it('when the store cannot be reached, the write throws (the caller retries the whole batch)', async () => {
      s.cutOff();
      await expect(s.store.write([reading('pump-1', NOW - MIN, 1)])).rejects.toThrow();
    });

    if (capabilities.throttles) {
      it('when the service throttles for a while, the batch is still written', async () => {
        s.throttle!(2);
        expect(await s.store.write([reading('pump-1', NOW - MIN, 1)])).toEqual({ written: 1, rejected: [] });
        expect(await s.readBack('pump-1')).toHaveLength(1);
      });
    }
  });
}
