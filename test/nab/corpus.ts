/**
 * File access for NAB-layout folders (`<root>/<category>/<file>.csv`). This is the only
 * module of `test/nab` that touches the file system; the benchmark and tests use it, the
 * detector never does.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type NabSeries, parseNabCsv, parseNabResultsCsv } from './csv';
import type { CostProfile, NabProfileName, ScoredFile } from './scorer';

/** Labelled windows per relative path, as in NAB's `combined_windows.json`. */
export type NabWindows = Readonly<Record<string, readonly (readonly [string, string])[]>>;

/** Lists the data files of a NAB-layout folder as sorted `<category>/<file>.csv` paths. */
export function listNabFiles(dataDir: string): string[] {
  const files: string[] = [];
  for (const category of readdirSync(dataDir).sort()) {
    const dir = join(dataDir, category);
    if (!statSync(dir).isDirectory()) continue;
    for (const name of readdirSync(dir).sort()) {
      if (name.toLowerCase().endsWith('.csv')) files.push(`${category}/${name}`);
    }
  }
  return files;
}

/** Reads one data file of a NAB-layout folder. */
export function readNabSeries(dataDir: string, relativePath: string): NabSeries {
  return parseNabCsv(readFileSync(join(dataDir, relativePath), 'utf8'));
}

/** Reads NAB's `combined_windows.json`. */
export function readNabWindows(path: string): NabWindows {
  return JSON.parse(readFileSync(path, 'utf8')) as NabWindows;
}

/** Reads NAB's `profiles.json` into cost profiles. */
export function readNabProfiles(path: string): Record<NabProfileName, CostProfile> {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<
    string,
    { CostMatrix: { tpWeight: number; fnWeight: number; fpWeight: number } }
  >;
  const pick = (name: NabProfileName): CostProfile => {
    const m = raw[name]?.CostMatrix;
    if (!m) throw new Error(`profile ${name} missing in ${path}`);
    return { tpWeight: m.tpWeight, fnWeight: m.fnWeight, fpWeight: m.fpWeight };
  };
  return {
    standard: pick('standard'),
    reward_low_FP_rate: pick('reward_low_FP_rate'),
    reward_low_FN_rate: pick('reward_low_FN_rate'),
  };
}

/**
 * Path of a results file for a data file: NAB's own naming `<category>/<detector>_<file>`.
 */
export function resultsPath(resultsDir: string, detectorName: string, relativePath: string): string {
  return join(resultsDir, dirname(relativePath), `${detectorName}_${basename(relativePath)}`);
}

/**
 * Loads a results folder for scoring: for each labelled file, `<category>/<detector>_<file>`
 * or `<category>/<file>`, whichever exists (NAB accepts both).
 *
 * @throws Error when a labelled file has no results file (NAB needs every file of the set)
 */
export function readNabResults(resultsDir: string, windows: NabWindows): ScoredFile[] {
  const files: ScoredFile[] = [];
  for (const name of Object.keys(windows).sort()) {
    const dir = join(resultsDir, dirname(name));
    const plain = basename(name);
    const candidates = safeList(dir).filter((f) => f === plain || f.endsWith(`_${plain}`));
    if (candidates.length === 0) throw new Error(`no results file for ${name} in ${dir}`);
    const chosen = candidates.includes(plain) ? plain : candidates.sort()[0];
    const { timestamps, scores } = parseNabResultsCsv(readFileSync(join(dir, chosen), 'utf8'));
    files.push({ name, timestamps, scores, windows: windows[name] });
  }
  return files;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
