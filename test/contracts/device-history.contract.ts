import {
  type HistoryReader,
  MAX_RECENT_READINGS,
  type TelemetryRecord,
  type TelemetryStore,
} from '../../core/ports';
import { contractEnv, type Disposable, eachTest, HOUR, MIN, type SubjectEntry } from './harness/subject';

export interface HistoryReaderSubject extends Disposable {
  readonly history: HistoryReader;
  /** The same backend's writer, to seed it. */
  readonly telemetry: TelemetryStore;
}

/** The HistoryReader port (core/ports/device-history.ts). */
export function historyReaderContract({ name, make, prepare }: SubjectEntry<HistoryReaderSubject>): void {
  describe(`HistoryReader contract: ${name}`, () => {
    prepare?.();
    const env = contractEnv();
    const NOW = env.now;
    const s = eachTest(make, env);

    const reading = (deviceId: string, time: number, seq: number, site = 'plant-1'): TelemetryRecord => ({
      deviceId,
      site,
      time,
      seq,
      measures: seq % 2 ? { temp: 20 + seq / 4 } : { temp: 20, rpm: 1400 + seq },
    });

    it('when nothing was written, a device has no history', async () => {
      expect(await s.history.recent('pump-1', NOW - HOUR, NOW)).toEqual([]);
    });

    it('when asked for [since, until), the device’s readings in it come oldest first and whole, no other device’s', async () => {
      const pump1 = Array.from({ length: 10 }, (_, i) => reading('pump-1', NOW - (10 - i) * MIN, i));
      await s.telemetry.write([...pump1].reverse());
      await s.telemetry.write([reading('pump-2', NOW - 5 * MIN, 1, 'plant-2')]);
      expect(await s.history.recent('pump-1', NOW - 8 * MIN, NOW - 3 * MIN)).toEqual(pump1.slice(2, 7));
      expect(await s.history.recent('pump-1', NOW - HOUR, NOW + 1)).toEqual(pump1);
      expect(await s.history.recent('pump-2', NOW - HOUR, NOW)).toEqual([
        reading('pump-2', NOW - 5 * MIN, 1, 'plant-2'),
      ]);
      expect(await s.history.recent('pump-3', NOW - HOUR, NOW)).toEqual([]);
    });

    it(`when a device has more than ${MAX_RECENT_READINGS} readings in the range, the newest ${MAX_RECENT_READINGS} come, oldest first`, async () => {
      const many = Array.from({ length: MAX_RECENT_READINGS + 50 }, (_, i) =>
        reading('pump-1', NOW - HOUR + i * 1000, i),
      );
      await s.telemetry.write(many);
      const got = await s.history.recent('pump-1', NOW - 2 * HOUR, NOW);
      expect(got).toHaveLength(MAX_RECENT_READINGS);
      expect(got[0]).toEqual(many[50]);
      expect(got[got.length - 1]).toEqual(many[many.length - 1]);
    });
  });
}
