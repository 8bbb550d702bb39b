import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { MOSQUITTO } from './harness';
import { runReliability, SCENARIOS, type ScenarioName, type ScenarioResult } from './scenarios';

const fmt = (n: number) => n.toLocaleString('en-US');

/** The table: one row per scenario, then each scenario's own figures and problems. */
export function renderTable(results: readonly ScenarioResult[]): string {
  const header = ['scenario', 'sent', 'acked', 'stored', 'quarantined', 'duplicated', 'lost'];
  const rows = results.map((r) => [
    r.scenario,
    fmt(r.sent),
    fmt(r.acked),
    fmt(r.stored),
    fmt(r.quarantined),
    fmt(r.duplicated),
    fmt(r.lost),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), ''];
  for (const r of results) {
    const figures = Object.entries(r.figures).map(([k, v]) => `${k}: ${typeof v === 'number' ? fmt(v) : v}`);
    out.push(`${r.scenario}: ${figures.join(' · ') || '–'}`);
    for (const p of r.problems) out.push(`  ✗ ${p}`);
  }
  return out.join('\n');
}

/** True when a scenario lost nothing and nothing else went wrong. */
export const passed = (r: ScenarioResult) => r.lost === 0 && r.problems.length === 0;

const mosquittoInstalled = () => spawnSync(MOSQUITTO, ['-h'], { stdio: 'ignore' }).error === undefined;

/** `aiot reliability` (`npm run bench:reliability`). */
export function registerReliabilityCommand(program: Command): void {
  program
    .command('reliability')
    .description(
      'chaos benchmark of the local platform, driven from outside processes: bad input at volume, broker ' +
        'outage, runtime crash, store faults, fleet scale; prints what was sent, stored, quarantined, ' +
        'duplicated and lost, and exits 1 on any loss',
    )
    .option(
      '--scenarios <list>',
      `comma-separated, from ${SCENARIOS.join(', ')}`,
      (v) => {
        const names = v.split(',').map((s) => s.trim());
        for (const n of names)
          if (!(SCENARIOS as readonly string[]).includes(n))
            throw new InvalidArgumentError(`unknown scenario ${n}; one of ${SCENARIOS.join(', ')}`);
        return names as ScenarioName[];
      },
      [...SCENARIOS],
    )
    .option(
      '--short',
      'the short version (what npm test runs): fewer devices and payloads, shorter phases',
      false,
    )
    .option('--scale <sizes>', 'fleet sizes of the scale scenario, comma-separated', '1000,5000')
    .option('--no-mosquitto', 'skip the outage against an outside mosquitto')
    .option('--seed <k>', 'seed of the fuzzer and the fleets', '1')
    .option('--keep', 'keep the data folders (printed) for inspection', false)
    .action(async (o) => {
      const workDir = mkdtempSync(path.join(tmpdir(), 'aiot-reliability-'));
      const started = Date.now();
      const withMosquitto = o.mosquitto && mosquittoInstalled();
      if (o.mosquitto && !withMosquitto)
        console.log(`${MOSQUITTO} not found: the outage runs against the embedded broker only`);
      const results = await runReliability({
        scenarios: o.scenarios,
        short: o.short,
        seed: Number(o.seed),
        mosquitto: withMosquitto,
        scale: String(o.scale)
          .split(',')
          .map((n) => Number(n)),
        workDir,
        step: (scenario, message) =>
          console.log(
            `[${String(Math.round((Date.now() - started) / 1000)).padStart(4)}s] ${scenario}: ${message}`,
          ),
      });
      console.log('');
      console.log(renderTable(results));
      const ok = results.every(passed);
      console.log('');
      console.log(
        `${ok ? 'passed' : 'FAILED'}: ${results.filter(passed).length} of ${results.length} scenarios, ` +
          `${fmt(results.reduce((n, r) => n + r.lost, 0))} lost, in ${Math.round((Date.now() - started) / 1000)} s`,
      );
      if (o.keep) console.log(`data folders kept in ${workDir}`);
      else rmSync(workDir, { recursive: true, force: true });
      // Sockets of the SDK's native client may hold the loop; the run is over.
      process.exit(ok ? 0 : 1);
    });
}
