import { type Quarantine, type QuarantineItem, quarantineItem } from '../../core/ports';
import { contractEnv, type Disposable, eachTest, MIN, type SubjectEntry } from './harness/subject';

export interface QuarantineSubject extends Disposable {
  readonly quarantine: Quarantine;
  /** Every item the backend holds from a source, as kept (any order). */
  readBack(source: string): Promise<QuarantineItem[]>;
  /** From now on the backend cannot be reached. */
  cutOff(): void;
}

const byTime = (a: QuarantineItem, b: QuarantineItem) =>
  a.receivedAt - b.receivedAt || (a.reason < b.reason ? -1 : 1);

/** The Quarantine port (core/ports/quarantine.ts): what cannot be stored is kept, whole, with its reason. */
export function quarantineContract({ name, make, prepare }: SubjectEntry<QuarantineSubject>): void {
  describe(`Quarantine contract: ${name}`, () => {
    prepare?.();
    const env = contractEnv();
    const NOW = env.now;
    const s = eachTest(make, env);

    it('when items are put, each is kept whole: source, reason, payload, encoding, time, device and topic', async () => {
      const items: QuarantineItem[] = [
        quarantineItem('{"deviceId":"pump-1","readings":[]}', {
          source: 'stream-processor',
          reason: 'invalid telemetry: readings must not be empty',
          receivedAt: NOW - MIN,
          deviceId: 'pump-1',
          topic: 'dt/aiot/plant-1/pump-1/telemetry',
        }),
        quarantineItem(new Uint8Array([0xff, 0x00, 0xfe, 0x41]), {
          source: 'stream-processor',
          reason: 'not JSON',
          receivedAt: NOW,
        }),
      ];
      await s.quarantine.put(items);
      expect((await s.readBack('stream-processor')).sort(byTime)).toEqual(items);
      expect(items[1]).toMatchObject({
        encoding: 'base64',
        payload: Buffer.from([0xff, 0x00, 0xfe, 0x41]).toString('base64'),
      });
    });

    it('when one call holds items of several sources, each is kept under its own source', async () => {
      const a = quarantineItem('a', {
        source: 'stream-processor',
        reason: 'bad a',
        receivedAt: NOW - 2 * MIN,
      });
      const b = quarantineItem('b', {
        source: 'rule-error',
        reason: 'rule failed',
        receivedAt: NOW - MIN,
        topic: 'dt/x',
      });
      const c = quarantineItem('c', { source: 'stream-processor', reason: 'bad c', receivedAt: NOW });
      await s.quarantine.put([a, b, c]);
      expect((await s.readBack('stream-processor')).sort(byTime)).toEqual([a, c]);
      expect(await s.readBack('rule-error')).toEqual([b]);
    });

    it('when items are put in several calls, every one is kept', async () => {
      for (let i = 0; i < 5; i++) {
        await s.quarantine.put([
          quarantineItem(`m${i}`, { source: 'event-router', reason: `r${i}`, receivedAt: NOW + i }),
        ]);
      }
      expect((await s.readBack('event-router')).map((i) => i.payload).sort()).toEqual([
        'm0',
        'm1',
        'm2',
        'm3',
        'm4',
      ]);
    });

    it('when an empty batch is put, nothing is kept', async () => {
      await s.quarantine.put([]);
      expect(await s.readBack('stream-processor')).toEqual([]);
    });

    it('when the backend cannot be reached, put throws (the caller keeps the items)', async () => {
      s.cutOff();
      await expect(
        s.quarantine.put([quarantineItem('x', { source: 'stream-processor', reason: 'r', receivedAt: NOW })]),
      ).rejects.toThrow();
    });
  });
}
