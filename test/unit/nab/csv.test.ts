import { parseNabCsv, parseNabResultsCsv, parseNabTimestamp } from '../../nab';

describe('parseNabCsv', () => {
  it('when lines end with CRLF, keeps timestamps clean and reads every row', () => {
    const series = parseNabCsv('timestamp,value\r\n2014-07-06 20:10:00,0.5\r\n2014-07-06 20:15:00,1\r\n');
    expect(series.timestamps).toEqual(['2014-07-06 20:10:00', '2014-07-06 20:15:00']);
    expect(series.values).toEqual([0.5, 1]);
  });

  it('when the final newline is missing, still reads the last row', () => {
    const series = parseNabCsv('timestamp,value\n2015-09-08 11:39:00,73\n2015-09-08 11:44:00,62');
    expect(series.values).toEqual([73, 62]);
  });

  it('when a value is not a number, names the line', () => {
    expect(() => parseNabCsv('timestamp,value\n2015-09-08 11:39:00,abc\n')).toThrow('line 2');
  });

  it('when the header lacks a value column, refuses the file', () => {
    expect(() => parseNabCsv('time,v\n1,2\n')).toThrow('timestamp and value');
  });
});

describe('parseNabResultsCsv', () => {
  it('when extra columns follow, reads only anomaly_score', () => {
    const r = parseNabResultsCsv('timestamp,value,anomaly_score,label\n2014-01-01 00:00:00,3,0.25,0');
    expect(r.scores).toEqual([0.25]);
  });
});

describe('parseNabTimestamp', () => {
  it('when microseconds are written, reads the same instant as without', () => {
    expect(parseNabTimestamp('2014-04-10 07:15:00.000000')).toBe(parseNabTimestamp('2014-04-10 07:15:00'));
    expect(parseNabTimestamp('1970-01-01 00:00:01')).toBe(1000);
  });
});
