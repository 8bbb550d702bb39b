import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readNabResults, readNabWindows } from '../../../core/nab/corpus';
import { scoreAllProfiles } from '../../../core/nab/scorer';

const nab = join(__dirname, '..', '..', '..', '..', 'shared', 'nab');

describe('scoreAllProfiles on NAB reference results', () => {
  const windows = () => readNabWindows(join(nab, 'labels', 'combined_windows.json'));

  it('when scoring the numenta results, matches the official scorer within 0.5', () => {
    expect(existsSync(nab)).toBe(true);
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
