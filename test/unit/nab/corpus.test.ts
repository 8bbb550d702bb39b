import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listNabFiles, readNabResults, readNabSeries, resultsPath } from '../../nab/corpus';

describe('NAB corpus files', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'nab-'));
    mkdirSync(join(root, 'data', 'realB'), { recursive: true });
    mkdirSync(join(root, 'data', 'artA'), { recursive: true });
    writeFileSync(join(root, 'data', 'realB', 'x.csv'), 'timestamp,value\r\n2014-01-01 00:00:00,1\r\n');
    writeFileSync(
      join(root, 'data', 'artA', 'y.csv'),
      'timestamp,value\n2014-01-01 00:00:00,2\n2014-01-01 00:05:00,3',
    );
    writeFileSync(join(root, 'data', 'README.md'), 'not a category');
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('when listing a NAB-layout folder, returns every CSV as category/file in sorted order', () => {
    expect(listNabFiles(join(root, 'data'))).toEqual(['artA/y.csv', 'realB/x.csv']);
  });

  it('when a data file has no final newline, reads its last row', () => {
    expect(readNabSeries(join(root, 'data'), 'artA/y.csv').values).toEqual([2, 3]);
  });

  it('when results use NAB naming, finds <category>/<detector>_<file>', () => {
    const target = resultsPath(join(root, 'out'), 'aiot', 'realB/x.csv');
    expect(target).toBe(join(root, 'out', 'realB', 'aiot_x.csv'));
    mkdirSync(join(root, 'out', 'realB'), { recursive: true });
    writeFileSync(target, 'timestamp,value,anomaly_score\n2014-01-01 00:00:00,1,0.5\n');
    const files = readNabResults(join(root, 'out'), { 'realB/x.csv': [] });
    expect(files[0].scores).toEqual([0.5]);
  });

  it('when a labelled file has no results, names it', () => {
    expect(() => readNabResults(join(root, 'out'), { 'realB/x.csv': [] })).toThrow('realB/x.csv');
  });
});
