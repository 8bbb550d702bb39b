/**
 * What every contract suite is given: a named way to make a fresh subject (the adapter under
 * test, wired to an empty backend, plus what the suite needs to observe that backend), and the
 * clock the backend's "now" comes from.
 */
export interface ContractEnv {
  /** The instant every backend of the test takes as now (retention, health, lookback). */
  readonly now: number;
  readonly clock: () => number;
}

export interface SubjectEntry<S, C = Record<string, never>> {
  /** Shown in the test names: the adapter and what stands in for its service. */
  readonly name: string;
  /** Where this backend legitimately differs; known before any subject is made. */
  readonly capabilities: C;
  readonly make: (env: ContractEnv) => Promise<S>;
  /**
   * Registers hooks around the whole suite (a server shared by its tests, started once and
   * stopped after the last); called inside the suite's describe.
   */
  readonly prepare?: () => void;
}

/** Every subject is disposed of after each test: servers closed, handles released. */
export interface Disposable {
  dispose(): Promise<void> | void;
}

/** A fixed instant: far enough from any boundary the suites test (day and hour starts are checked apart). */
export const CONTRACT_NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

export function contractEnv(now: number = CONTRACT_NOW): ContractEnv {
  return { now, clock: () => now };
}

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/**
 * A fresh subject for every test of the suite, disposed of after it. The value returned stands
 * for the current one (property reads go to it), so tests use it like the subject itself.
 */
export function eachTest<S extends Disposable>(make: (env: ContractEnv) => Promise<S>, env: ContractEnv): S {
  let current: S | undefined;
  beforeEach(async () => {
    current = await make(env);
  });
  afterEach(async () => {
    await current?.dispose();
    current = undefined;
  });
  return new Proxy({} as S, {
    get(_, property) {
      if (!current) throw new Error('the subject exists only while a test runs');
      return Reflect.get(current, property);
    },
  });
}
