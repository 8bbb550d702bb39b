import { Random } from '../device/simulator/random';
import type { LocalStore } from './store';

/**
 * A fault the pipeline's store goes through, from `atS` seconds after the pipeline thread starts,
 * for `forS` seconds: the reliability benchmark's store scenario (`aiot reliability`).
 * - `disk-full`: the database may not grow (SQLite's `max_page_count` set to its current size),
 *   so a write needing a new page fails with SQLITE_FULL, as on a full disk;
 * - `errors`: the telemetry adapter's writes fail with the given probability (seeded), as a store
 *   that throttles or drops connections would.
 */
export type StoreFault =
  | { readonly kind: 'disk-full'; readonly atS: number; readonly forS: number }
  | {
      readonly kind: 'errors';
      readonly atS: number;
      readonly forS: number;
      readonly probability: number;
      readonly seed: number;
    };

/**
 * Puts the faults on `store` as scheduled (the telemetry adapter's `write` is wrapped in place)
 * and returns a function that ends them all.
 */
export function injectStoreFaults(
  store: LocalStore,
  faults: readonly StoreFault[],
  log: (message: string) => void,
): () => void {
  const timers: NodeJS.Timeout[] = [];
  const at = (s: number, f: () => void) => timers.push(setTimeout(f, s * 1000));
  const endings: (() => void)[] = [];
  let failing: (() => boolean) | undefined;
  const write = store.telemetry.write.bind(store.telemetry);
  store.telemetry.write = (records) => {
    if (failing?.()) return Promise.reject(new Error('injected store fault: the write failed'));
    return write(records);
  };
  for (const fault of faults) {
    if (fault.kind === 'disk-full') {
      const normal = store.db.pragma('max_page_count', { simple: true }) as number;
      const end = () => store.db.pragma(`max_page_count = ${normal}`);
      at(fault.atS, () => {
        const pages = store.db.pragma('page_count', { simple: true }) as number;
        store.db.pragma(`max_page_count = ${pages}`);
        log(`injected fault: disk full (the store may not grow past ${pages} pages) for ${fault.forS}s`);
      });
      at(fault.atS + fault.forS, () => {
        end();
        log('injected fault over: disk full');
      });
      endings.push(end);
    } else {
      const random = new Random(fault.seed);
      at(fault.atS, () => {
        failing = () => random.next() < fault.probability;
        log(
          `injected fault: ${Math.round(fault.probability * 100)}% of store writes fail for ${fault.forS}s`,
        );
      });
      at(fault.atS + fault.forS, () => {
        failing = undefined;
        log('injected fault over: store write errors');
      });
    }
  }
  return () => {
    for (const t of timers) clearTimeout(t);
    failing = undefined;
    for (const end of endings) end();
  };
}
