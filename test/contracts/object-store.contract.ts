import type { ObjectStore } from '../../core/ports';
import { contractEnv, type Disposable, eachTest, type SubjectEntry } from './harness/subject';

export interface ObjectStoreCapabilities {
  /** The store is a service that can be out of reach (a memory store cannot). */
  readonly remote: boolean;
}

export interface ObjectStoreSubject extends Disposable {
  readonly objects: ObjectStore;
  /** A bucket the store holds. */
  readonly bucket: string;
  /** From now on the store cannot be reached (remote stores only). */
  cutOff?(): void;
}

/** The ObjectStore port (core/ports/object-store.ts): text by `s3://bucket/key` URI. */
export function objectStoreContract({
  name,
  capabilities,
  make,
  prepare,
}: SubjectEntry<ObjectStoreSubject, ObjectStoreCapabilities>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    prepare?.();
    const s = eachTest(make, contractEnv());
    const uri = (key: string) => `s3://${s.bucket}/${key}`;

    it('when text is put, get returns it unchanged, unicode and size included', async () => {
      const big = 'x,1.5,2\n'.repeat(100_000);
      await s.objects.put(uri('models/registry.json'), '{"model":"détecteur ✓"}');
      await s.objects.put(uri('training/run-1/data/train.csv'), big);
      expect(await s.objects.get(uri('models/registry.json'))).toBe('{"model":"détecteur ✓"}');
      expect(await s.objects.get(uri('training/run-1/data/train.csv'))).toBe(big);
    });

    it('when a key was never written, get answers undefined', async () => {
      expect(await s.objects.get(uri('models/none.json'))).toBeUndefined();
    });

    it('when a key is put again, the newer text replaces the older', async () => {
      await s.objects.put(uri('models/registry.json'), 'v1');
      await s.objects.put(uri('models/registry.json'), 'v2');
      expect(await s.objects.get(uri('models/registry.json'))).toBe('v2');
      expect(await s.objects.get(uri('models/registry.json.bak'))).toBeUndefined();
    });

    it('when a URI is not s3://bucket/key, put and get refuse it', async () => {
      for (const bad of [
        'models/registry.json',
        `s3://${s.bucket}`,
        `s3://${s.bucket}/`,
        `https://${s.bucket}/k`,
      ]) {
        await expect(s.objects.put(bad, 'x')).rejects.toThrow(/s3:\/\/bucket\/key/);
        await expect(s.objects.get(bad)).rejects.toThrow(/s3:\/\/bucket\/key/);
      }
    });

    if (capabilities.remote) {
      it('when the store cannot be reached, put and get throw', async () => {
        s.cutOff!();
        await expect(s.objects.put(uri('a'), 'x')).rejects.toThrow();
        await expect(s.objects.get(uri('a'))).rejects.toThrow();
      });
    }
  });
}
