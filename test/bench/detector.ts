/**
 * Detector cost: microseconds per point and bytes of state per series (JSON size of the
 * snapshot), on one core.
 *
 *   npm run bench:detector -- [--points <n>] [--rounds <n>]
 */
import { Command } from 'commander';
import { createDetector, type DetectorInput } from '../../core/detector';

interface Options {
  readonly points: string;
  readonly rounds: string;
}

const program = new Command()
  .name('bench:detector')
  .description('Measure detector cost: µs per point and bytes of state per series')
  .option('--points <n>', 'points per series', '200000')
  .option('--rounds <n>', 'timed rounds (the best is reported)', '5');

/** A deterministic noisy daily cycle with occasional spikes, sampled every 5 minutes. */
function signal(i: number, phase: number): number {
  const daily = Math.sin((2 * Math.PI * i) / 288 + phase);
  const noise = Math.sin(i * 12.9898 + phase * 78.233) * 43758.5453;
  const jitter = noise - Math.floor(noise) - 0.5;
  const spike = i % 5000 === 4999 ? 8 : 0;
  return 50 + 20 * daily + 3 * jitter + spike;
}

function measure(
  label: string,
  points: number,
  rounds: number,
  input: (i: number) => DetectorInput,
  spacingMs = 300_000,
): void {
  let best = Number.POSITIVE_INFINITY;
  let bytes = 0;
  let checksum = 0;
  for (let r = 0; r < rounds; r++) {
    const detector = createDetector();
    const inputs = Array.from({ length: points }, (_, i) => input(i));
    const start = process.hrtime.bigint();
    for (let i = 0; i < points; i++)
      checksum += detector.update(inputs[i], 1_700_000_000_000 + i * spacingMs);
    const elapsed = Number(process.hrtime.bigint() - start) / 1000;
    best = Math.min(best, elapsed / points);
    bytes = Buffer.byteLength(JSON.stringify(detector.snapshot()));
  }
  console.log(
    `${label.padEnd(28)} ${best.toFixed(2).padStart(6)} µs/point   state ${(bytes / 1024).toFixed(1).padStart(5)} KB` +
      `   (checksum ${checksum.toFixed(3)})`,
  );
}

function main(): void {
  const opts = program.parse().opts<Options>();
  const points = Number(opts.points);
  const rounds = Number(opts.rounds);
  console.log(`${points} points per series, best of ${rounds} rounds, one core (Node ${process.version})`);
  measure('univariate', points, rounds, (i) => signal(i, 0));
  measure('univariate at 10 Hz', points, rounds, (i) => signal(i, 0), 100);
  measure('4 measures (per device)', points, rounds, (i) => ({
    vibration_rms: signal(i, 0.3),
    bearing_temp_c: signal(i, 1.1),
    motor_current_a: signal(i, 2.2),
    pressure_kpa: signal(i, 3.3),
  }));
}

main();
