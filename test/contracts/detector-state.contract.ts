import { createDetector } from '../../core/detector';
import { type DetectorStateStore, MAX_DETECTOR_STATE_BYTES, type SavedDetectorState } from '../../core/ports';
import { contractEnv, type Disposable, eachTest, MIN, type SubjectEntry } from './harness/subject';

export interface DetectorStateStoreSubject extends Disposable {
  readonly store: DetectorStateStore;
  /** From now on the backend cannot be reached. */
  cutOff(): Promise<void> | void;
}

/** A real detector's snapshot after `points` readings: the kind of state the store holds. */
function detectorSnapshot(points: number, measures = 4) {
  const d = createDetector();
  for (let i = 0; i < points; i++) {
    const values: Record<string, number> = {};
    for (let m = 0; m < measures; m++) values[`m${m}`] = Math.sin(i / (7 + m)) + m;
    d.update(values, 1_000_000 + i * 1000);
  }
  return d.snapshot();
}

const saved = (
  deviceId: string,
  savedAt: number,
  state: SavedDetectorState['state'],
): SavedDetectorState => ({
  deviceId,
  savedAt,
  state,
});

/**
 * The DetectorStateStore port (core/ports/detector-state.ts): states by device, many at a time,
 * kept as given (opaque JSON with a `version`), the last one per device; a state over the size
 * limit or not versioned refused with its reason while the rest are saved.
 */
export function detectorStateStoreContract({
  name,
  make,
  prepare,
}: SubjectEntry<DetectorStateStoreSubject>): void {
  describe(`DetectorStateStore contract: ${name}`, () => {
    prepare?.();
    const env = contractEnv();
    const NOW = env.now;
    const s = eachTest(make, env);

    it('when nothing was saved, no device has a state', async () => {
      expect((await s.store.getMany(['pump-1', 'pump-2'])).size).toBe(0);
      expect((await s.store.getMany([])).size).toBe(0);
    });

    it('when states are saved, each device reads back its own, as given (a real detector snapshot included)', async () => {
      const detector = JSON.parse(JSON.stringify(detectorSnapshot(400)));
      const states = [
        saved('pump-1', NOW, { version: 1, lastTime: NOW - MIN, detector }),
        saved('pump-2', NOW, {
          version: 1,
          lastTime: NOW,
          episode: { startedAt: NOW - 2 * MIN, note: 'ünïcode ✓' },
        }),
      ];
      expect(await s.store.putMany(states)).toEqual({ saved: 2, refused: [] });
      const back = await s.store.getMany(['pump-2', 'pump-1', 'pump-3']);
      expect([...back.keys()].sort()).toEqual(['pump-1', 'pump-2']);
      expect(back.get('pump-1')).toEqual(states[0]);
      expect(back.get('pump-2')).toEqual(states[1]);
    });

    it('when a device is saved again, the newer state replaces the older; in one call the last one wins', async () => {
      await s.store.putMany([saved('pump-1', NOW - MIN, { version: 1, n: 1 })]);
      await s.store.putMany([saved('pump-1', NOW, { version: 1, n: 2 })]);
      expect((await s.store.getMany(['pump-1'])).get('pump-1')?.state).toEqual({ version: 1, n: 2 });

      const r = await s.store.putMany([
        saved('pump-2', NOW, { version: 1, n: 1 }),
        saved('pump-2', NOW, { version: 1, n: 3 }),
      ]);
      expect(r.saved).toBe(1);
      expect((await s.store.getMany(['pump-2'])).get('pump-2')?.state).toEqual({ version: 1, n: 3 });
    });

    it('when more devices are saved and read than one service call takes, all of them are', async () => {
      const many = Array.from({ length: 130 }, (_, i) =>
        saved(`dev-${String(i).padStart(3, '0')}`, NOW, { version: 1, i }),
      );
      expect((await s.store.putMany(many)).saved).toBe(130);
      const back = await s.store.getMany([...many.map((m) => m.deviceId), ...many.map((m) => m.deviceId)]);
      expect(back.size).toBe(130);
      expect(back.get('dev-129')?.state).toEqual({ version: 1, i: 129 });
    });

    it('when a state is larger than the limit, it is refused as too large and the others are saved', async () => {
      // Incompressible text, so no backend can squeeze it under the limit.
      let x = 7;
      const noise = Array.from({ length: MAX_DETECTOR_STATE_BYTES + 10 }, () => {
        x = (x * 1103515245 + 12345) & 0x7fffffff;
        return String.fromCharCode(33 + (x % 90));
      }).join('');
      const r = await s.store.putMany([
        saved('big', NOW, { version: 1, noise }),
        saved('small', NOW, { version: 1 }),
      ]);
      expect(r).toEqual({
        saved: 1,
        refused: [
          {
            deviceId: 'big',
            reason: 'too-large',
            detail: expect.stringMatching(/exceeds the \d+-byte limit/),
          },
        ],
      });
      const back = await s.store.getMany(['big', 'small']);
      expect([...back.keys()]).toEqual(['small']);
    });

    it('when a state is not a versioned object or names no device, it is refused as invalid and the others are saved', async () => {
      const r = await s.store.putMany([
        saved('unversioned', NOW, { lastTime: NOW } as never),
        saved('', NOW, { version: 1 }),
        saved('ok', NOW, { version: 2 }),
      ]);
      expect(r.saved).toBe(1);
      expect(r.refused).toEqual([
        { deviceId: 'unversioned', reason: 'invalid', detail: expect.stringContaining('state.version') },
        { deviceId: '', reason: 'invalid', detail: expect.stringContaining('deviceId') },
      ]);
      expect([...(await s.store.getMany(['unversioned', 'ok'])).keys()]).toEqual(['ok']);
    });

    it('when the backend cannot be reached, reads and writes throw', async () => {
      await s.cutOff();
      await expect(s.store.getMany(['pump-1'])).rejects.toThrow();
      await expect(s.store.putMany([saved('pump-1', NOW, { version: 1 })])).rejects.toThrow();
    });
  });
}
