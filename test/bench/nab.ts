/**
 * NAB benchmark: runs the detector over every CSV of a NAB-layout folder, writes NAB results
 * files and scores them under the three profiles with the TypeScript scorer.
 *
 *   npm run bench:nab -- [--data <dir>] [--out <dir>] [--labels <file>] [--name <detector>]
 *   npm run bench:nab -- --score-only <resultsDir>   (score existing results, e.g. NAB's references)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { createDetector, type DetectorConfig } from '../../core/detector';
import {
  listNabFiles,
  readNabProfiles,
  readNabResults,
  readNabSeries,
  readNabWindows,
  resultsPath,
} from '../nab/corpus';
import { parseNabTimestamp } from '../nab/csv';
import { type NabProfileName, type ScoredFile, scoreAllProfiles } from '../nab/scorer';

const repoRoot = resolve(__dirname, '..', '..');
const sharedNab = resolve(repoRoot, '..', 'shared', 'nab');

interface Options {
  readonly data: string;
  readonly out: string;
  readonly labels: string;
  readonly profiles: string;
  readonly name: string;
  readonly scoreOnly?: string;
  readonly config?: string;
  readonly seed: string;
  readonly write: boolean;
  readonly progress: boolean;
}

const program = new Command()
  .name('bench:nab')
  .description('Run the streaming detector over a NAB-layout folder and score it with NAB profiles')
  .option('--data <dir>', 'NAB-layout data folder', join(sharedNab, 'data'))
  .option('--out <dir>', 'where to write results files', join(repoRoot, 'test-artifacts', 'nab'))
  .option('--labels <file>', 'combined_windows.json', join(sharedNab, 'labels', 'combined_windows.json'))
  .option('--profiles <file>', 'profiles.json', join(sharedNab, 'config', 'profiles.json'))
  .option('--name <detector>', 'detector name used in results file names', 'aiot')
  .option('--score-only <resultsDir>', 'only score an existing results folder (no detector run)')
  .option('--config <json>', 'detector config overrides as JSON (for experiments)')
  .option('--seed <n>', 'detector seed', '1')
  .option('--no-write', 'score in memory without writing results files')
  .option('--no-progress', 'no progress bar');

function main(): void {
  const opts = program.parse().opts<Options>();
  const windows = readNabWindows(resolve(opts.labels));
  const profiles = readNabProfiles(resolve(opts.profiles));
  let files: ScoredFile[];
  if (opts.scoreOnly) {
    files = readNabResults(resolve(opts.scoreOnly), windows);
    console.log(`scoring ${files.length} results files from ${resolve(opts.scoreOnly)}`);
  } else {
    files = runDetector(opts, windows);
  }
  if (files.length === 0) {
    console.log('no labelled file to score');
    return;
  }
  const results = scoreAllProfiles(files, profiles);
  const names: NabProfileName[] = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'];
  for (const name of names) {
    const r = results[name];
    console.log(
      `${name.padEnd(20)} ${r.normalized.toFixed(2).padStart(6)}   threshold ${r.threshold.toFixed(4)}  ` +
        `TP ${r.truePositives}  FN ${r.falseNegatives}  FP rows ${r.falsePositives}  raw ${r.raw.toFixed(2)}`,
    );
  }
  // Each half of the files (alternate files in name order) scored on its own, with its own
  // threshold: a change that helps only one half fits these files rather than the problem.
  const halves = [0, 1].map((parity) =>
    scoreAllProfiles(
      files.filter((_, i) => i % 2 === parity),
      profiles,
    ),
  );
  console.log(
    `halves (even / odd files)  ${names
      .map(
        (name) =>
          `${name} ${halves[0]![name].normalized.toFixed(2)} / ${halves[1]![name].normalized.toFixed(2)}`,
      )
      .join('   ')}`,
  );
}

function runDetector(opts: Options, windows: Readonly<Record<string, unknown>>): ScoredFile[] {
  const dataDir = resolve(opts.data);
  const paths = listNabFiles(dataDir);
  if (paths.length === 0) throw new Error(`no CSV files under ${dataDir}`);
  const overrides = opts.config ? (JSON.parse(opts.config) as Partial<DetectorConfig>) : {};
  const series = paths.map((p) => ({ path: p, ...readNabSeries(dataDir, p) }));
  const totalRows = series.reduce((sum, s) => sum + s.values.length, 0);
  const bar = opts.progress
    ? new SingleBar({ format: 'detector {bar} {percentage}% | {value}/{total} rows | {file}' })
    : undefined;
  bar?.start(totalRows, 0, { file: '' });
  const files: ScoredFile[] = [];
  let done = 0;
  for (const s of series) {
    const detector = createDetector(overrides, Number(opts.seed));
    const scores = s.values.map((v, i) => detector.update(v, parseNabTimestamp(s.timestamps[i])));
    done += s.values.length;
    bar?.update(done, { file: s.path });
    if (opts.write) {
      const target = resultsPath(resolve(opts.out), opts.name, s.path);
      mkdirSync(dirname(target), { recursive: true });
      const lines = s.timestamps.map((t, i) => `${t},${s.values[i]},${scores[i]}`);
      writeFileSync(target, `timestamp,value,anomaly_score\n${lines.join('\n')}\n`);
    }
    const labelled = windows[s.path] as ScoredFile['windows'] | undefined;
    if (labelled) files.push({ name: s.path, timestamps: s.timestamps, scores, windows: labelled });
  }
  bar?.stop();
  console.log(
    `${series.length} files, ${totalRows} rows` + (opts.write ? `, results in ${resolve(opts.out)}` : ''),
  );
  const unlabelled = series.length - files.length;
  if (unlabelled > 0) console.log(`${unlabelled} files have no labels and are not scored`);
  return files;
}

try {
  main();
} catch (error) {
  console.error(`bench:nab: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
