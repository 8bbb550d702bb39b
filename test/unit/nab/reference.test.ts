import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readNabResults, readNabWindows } from '../../nab/corpus';
import { scoreAllProfiles } from '../../nab/scorer';

/**
 * NAB's data and reference results are not part of this repository (MIT-licensed by Numenta):
 * they sit beside it, in `../shared/nab` (NAB's `labels/` and `results/` folders), or where
 * `AIOT_NAB_DIR` points. Without them these tests are skipped, saying so.
 */
const nab = process.env.AIOT_NAB_DIR ?? resolve(__dirname, '..', '..', '..', '..', 'shared', 'nab');
const windowsFile = join(nab, 'labels', 'combined_windows.json');
const present = existsSync(windowsFile) && existsSync(join(nab, 'results', 'numenta'));
if (!present) {
  console.warn(
    `NAB reference tests skipped: no NAB labels and results at ${nab}. Put a copy of the ` +
      'Numenta Anomaly Benchmark (github.com/numenta/NAB: its labels/ and results/ folders) there, ' +
      'or point AIOT_NAB_DIR at one.',
  );
}
const describeWithNab = present ? describe : describe.skip;

describeWithNab('scoreAllProfiles on NAB reference results', () => {
  const windows = () => readNabWindows(windowsFile);
  it('when scoring the numenta results, matches the official scorer within 0.5', () => {
    const r = scoreAllProfiles(readNabResults(join(nab, 'results', 'numenta'), windows()));
    expect(Math.abs(r.standard.normalized - 68.18)).toBeLessThan(0.5);
    expect(Math.abs(r.reward_low_FP_rate.normalized - 62.11)).toBeLessThan(0.5);
    expect(Math.abs(r.reward_low_FN_rate.normalized - 72.43)).toBeLessThan(0.5);
  });

  it('when scoring the windowedGaussian results, matches the official scorer within 0.5', () => {
    const r = scoreAllProfiles(readNabResults(join(nab, 'results', 'windowedGaussian'), windows()));
    expect(Math.abs(r.standard.normalized - 37.91)).toBeLessThan(0.5);
    expect(Math.abs(r.reward_low_FP_rate.normalized - 16.08)).toBeLessThan(0.5);
    expect(Math.abs(r.reward_low_FN_rate.normalized - 46.52)).toBeLessThan(0.5);
  });
});
