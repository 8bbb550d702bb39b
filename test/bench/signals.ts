/**
 * The detector on seeded synthetic IoT signals: for each signal type and sampling rate, false
 * alarms per hour on healthy series, and for each fault kind whether it is detected while it lasts
 * (the jump back at its end does not count), how soon, and how high it scores. Alarms are scores
 * at or above the configuration's warning level.
 *
 *   npm run bench:signals -- [--config <json>] [--seeds <n>] [--hours <h>]
 */
import { Command } from 'commander';
import { createDetector, type DetectorConfig, resolveConfig } from '../../core/detector';
import { faultsFor, SIGNAL_NAMES, type SignalName, sample } from '../fixtures/signals';

interface Options {
  readonly config?: string;
  readonly seeds: string;
  readonly hours: string;
}

const program = new Command()
  .name('bench:signals')
  .description('Score the detector on seeded synthetic IoT signals with injected faults')
  .option('--config <json>', 'detector config overrides as JSON (for experiments)')
  .option('--seeds <n>', 'seeds per healthy signal and per fault', '3')
  .option('--hours <h>', 'length of each healthy series at 1 Hz (10 Hz runs a quarter of it)', '24');

const RATES = [1, 10] as const;
/** Faults start this far into their series (well after learning) and last this long. */
const FAULT_AT_S = 45 * 60;
const FAULT_LENGTH_S = 10 * 60;

function scores(name: SignalName, config: Partial<DetectorConfig>, options: Parameters<typeof sample>[1]) {
  const series = sample(name, options);
  const detector = createDetector(config, options.seed);
  return { series, scores: series.values.map((v, i) => detector.update(v, series.times[i])) };
}

function main(): void {
  const opts = program.parse().opts<Options>();
  const overrides = opts.config ? (JSON.parse(opts.config) as Partial<DetectorConfig>) : {};
  const config = resolveConfig(overrides);
  const warning = config.severity.warning;
  const seeds = Number(opts.seeds);
  const hours = Number(opts.hours);
  console.log(
    `alarm: score >= ${warning} (warning); ${seeds} seeds; healthy series ${hours} h at 1 Hz, ${hours / 4} h at 10 Hz; ` +
      `faults at ${FAULT_AT_S / 60} min for ${FAULT_LENGTH_S / 60} min`,
  );
  console.log('| signal | rate | false alarms / h | fault | detected | delay (s) | peak score |');
  console.log('|---|---|---|---|---|---|---|');
  let worstRate = 0;
  let missed = 0;
  for (const name of SIGNAL_NAMES) {
    for (const rateHz of RATES) {
      const durationS = (rateHz === 1 ? hours : hours / 4) * 3600;
      let alarms = 0;
      for (let seed = 1; seed <= seeds; seed++) {
        alarms += scores(name, overrides, { rateHz, durationS, seed }).scores.filter(
          (s) => s >= warning,
        ).length;
      }
      const perHour = alarms / ((seeds * durationS) / 3600);
      worstRate = Math.max(worstRate, perHour);
      for (const kind of faultsFor(name)) {
        let found = 0;
        const delays: number[] = [];
        let lowestPeak = 1;
        for (let seed = 1; seed <= seeds; seed++) {
          const fault = { kind, startS: FAULT_AT_S, lengthS: FAULT_LENGTH_S };
          const run = scores(name, overrides, {
            rateHz,
            durationS: FAULT_AT_S + 2 * FAULT_LENGTH_S,
            seed,
            fault,
          });
          const from = run.series.times.findIndex((t) => t >= run.series.times[0]! + FAULT_AT_S * 1000);
          const until = run.series.times[0]! + (FAULT_AT_S + FAULT_LENGTH_S) * 1000;
          let peak = 0;
          let first = -1;
          for (let i = from; i < run.scores.length && run.series.times[i]! < until; i++) {
            peak = Math.max(peak, run.scores[i]!);
            if (first < 0 && run.scores[i]! >= warning) first = i;
          }
          lowestPeak = Math.min(lowestPeak, peak);
          if (first >= 0) {
            found++;
            delays.push((run.series.times[first]! - run.series.times[from]!) / 1000);
          }
        }
        if (found < seeds) missed++;
        const delay = delays.length > 0 ? Math.max(...delays).toFixed(1) : '-';
        console.log(
          `| ${name} | ${rateHz} Hz | ${perHour.toFixed(2)} | ${kind} | ${found === seeds ? 'yes' : `${found}/${seeds}`} | ` +
            `${delay} | ${lowestPeak.toFixed(3)} |`,
        );
      }
    }
  }
  console.log(
    `worst false-alarm rate ${worstRate.toFixed(2)} per hour; faults missed in some seed: ${missed}`,
  );
}

main();
