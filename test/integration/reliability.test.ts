import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runReliability, type ScenarioResult } from '../../local/reliability/scenarios';

/**
 * The short version of `npm run bench:reliability`, scenarios 1–3: the platform, a fleet and a
 * fuzzer each in a process of its own; bad input at volume, a broker outage, a SIGKILL mid-stream.
 * Counts, not timings, are asserted.
 */
describe('reliability (short version of npm run bench:reliability)', () => {
  let dir: string;
  let results: ScenarioResult[];
  const row = (prefix: string) => results.find((r) => r.scenario.startsWith(prefix))!;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'aiot-reliability-'));
    results = await runReliability({
      scenarios: ['bad-input', 'outage', 'crash'],
      short: true,
      seed: 7,
      mosquitto: false,
      scale: [],
      workDir: dir,
      step: () => {},
    });
  }, 240_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('when every scenario has run, none lost a message or went wrong otherwise', () => {
    expect(results.map((r) => r.scenario)).toEqual([
      '1 bad input',
      '2 broker outage (embedded)',
      '3 runtime crash (SIGKILL)',
    ]);
    for (const r of results) {
      expect({ scenario: r.scenario, problems: r.problems }).toEqual({ scenario: r.scenario, problems: [] });
      expect(r.lost).toBe(0);
      expect(r.duplicated).toBe(0);
      // Every acknowledged message is accounted for, stored or quarantined.
      expect(r.stored + r.quarantined).toBe(r.acked);
      expect(r.acked).toBe(r.sent);
    }
  });

  it('when bad payloads of every kind arrive among valid traffic, quarantines each with a reason and stores the valid', () => {
    const r = row('1 ');
    expect(r.figures['bad payloads']).toBe(600);
    expect(r.figures['bad quarantined']).toBe(600);
    expect(r.figures.crashes).toBe(0);
    for (const kind of [
      'random bytes',
      'truncated JSON',
      'deep nesting',
      "another device's topic",
      'slow drip',
    ])
      expect(r.figures['by kind']).toContain(kind);
    // The valid fleet's messages are the rest: all stored.
    expect(r.stored).toBe(r.acked - 600);
    expect(r.stored).toBeGreaterThan(0);
  });

  it('when the broker is away mid-stream, the devices queue and replay: nothing lost, nothing stored twice, times kept', () => {
    const r = row('2 ');
    expect(r.figures['backlog msgs']).toBeGreaterThan(0);
    expect(r.figures['timestamps changed']).toBe(0);
    expect(r.figures.reconnects).toBeGreaterThanOrEqual(10);
  });

  it('when the platform is SIGKILLed mid-stream and started again on its data, every acknowledged message is there', () => {
    const r = row('3 ');
    expect(r.figures['acked before the kill']).toBeGreaterThan(0);
    expect(r.figures['gap (acked, not found)']).toBe(0);
    expect(r.stored).toBeGreaterThan(r.figures['acked before the kill'] as number);
  });
});
