import {
  QueryCommand,
  type QueryCommandOutput,
  TimestreamQueryClient,
} from '@aws-sdk/client-timestream-query';
import { mockClient } from 'aws-sdk-client-mock';
import { encodeCursor, InvalidCursor } from '../../../core/cursor';
import { parseTimestamp, sql, TimestreamQueryStore } from '../../../lambda/shared/timestream-query';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const MIN = 60_000;
const ts = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '000000');

/** A Timestream answer: column names and rows of scalars (null for NULL). */
function answer(columns: string[], rows: (string | null)[][], NextToken?: string): QueryCommandOutput {
  return {
    $metadata: {},
    QueryId: 'q',
    ColumnInfo: columns.map((Name) => ({ Name, Type: { ScalarType: 'VARCHAR' } })),
    Rows: rows.map((r) => ({ Data: r.map((v) => (v === null ? { NullValue: true } : { ScalarValue: v })) })),
    ...(NextToken ? { NextToken } : {}),
  };
}

const queries = (mock: ReturnType<typeof mockClient>) =>
  mock.commandCalls(QueryCommand).map((c) => c.args[0].input.QueryString!);

describe('TimestreamQueryStore', () => {
  const timestream = mockClient(TimestreamQueryClient);
  const store = () =>
    new TimestreamQueryStore({
      client: new TimestreamQueryClient({}),
      databaseName: 'aiot-dev',
      clock: () => NOW,
    });
  beforeEach(() => timestream.reset());

  it('when devices are listed, it joins each newest reading with anomaly stats into summaries with health', async () => {
    timestream
      .on(QueryCommand)
      .resolvesOnce(
        answer(
          ['deviceId', 'site', 'measure_name', 'time', 'temp', 'rpm', 'seq', 'first_time'],
          [
            ['pump-1', 'plant-1', 'reading', ts(NOW - MIN), '21.5', null, '7', ts(NOW - 60 * MIN)],
            ['pump-2', 'plant-1', 'reading', ts(NOW - 20 * MIN), '30', '1500', '9', ts(NOW - 60 * MIN)],
            ['pump-3', 'plant-2', 'reading', ts(NOW - MIN), '22', '1400', '3', ts(NOW - 60 * MIN)],
          ],
        ),
      )
      .resolvesOnce(
        answer(
          ['deviceId', 'last_time', 'last_severity', 'last_score', 'recent_rank'],
          [['pump-1', ts(NOW - 2 * MIN), 'warning', '0.81', '1']],
        ),
      );
    const page = await store().listDevices({ limit: 2 });
    expect(page.items).toEqual([
      {
        deviceId: 'pump-1',
        site: 'plant-1',
        health: 'warning',
        latest: { time: NOW - MIN, seq: 7, measures: { temp: 21.5 } },
        lastAnomaly: { ts: NOW - 2 * MIN, severity: 'warning', score: 0.81 },
      },
      {
        deviceId: 'pump-2',
        site: 'plant-1',
        health: 'stale',
        latest: { time: NOW - 20 * MIN, seq: 9, measures: { temp: 30, rpm: 1500 } },
      },
    ]);
    expect(page.cursor).toBe(encodeCursor({ d: 'pump-2' }));
    const [latest, stats] = queries(timestream);
    expect(latest).toContain('FROM "aiot-dev"."telemetry"');
    expect(latest).toContain('LIMIT 3');
    expect(latest).toContain(`time >= from_milliseconds(${NOW - 7 * 24 * 60 * MIN})`);
    expect(stats).toContain("deviceId IN ('pump-1', 'pump-2', 'pump-3')");
  });

  it('when the next page is asked for, the cursor becomes a bounded, quoted condition', async () => {
    timestream.on(QueryCommand).resolves(answer(['deviceId'], []));
    await store().listDevices({ limit: 10, cursor: encodeCursor({ d: 'pump-2' }) });
    expect(queries(timestream)[0]).toContain("AND deviceId > 'pump-2'");
  });

  it('when Timestream splits an answer into pages, every page is read', async () => {
    timestream
      .on(QueryCommand)
      .resolvesOnce(answer(['t', 'measure', 'avg', 'min', 'max', 'count'], [], 'token-1'))
      .resolvesOnce(
        answer(['t', 'measure', 'avg', 'min', 'max', 'count'], [[ts(NOW), 'temp', '1', '1', '1', '1']]),
      );
    const result = await store().run('SELECT 1');
    expect(result.rows).toEqual([{ t: ts(NOW), measure: 'temp', avg: '1', min: '1', max: '1', count: '1' }]);
    expect(timestream).toHaveReceivedNthCommandWith(2, QueryCommand, { NextToken: 'token-1' });
  });

  it('when telemetry is asked for without a measure, it rolls up every measure of the newest reading with bin()', async () => {
    timestream
      .on(QueryCommand)
      .resolvesOnce(
        answer(
          ['deviceId', 'site', 'measure_name', 'time', 'temp', 'rpm', 'old_one', 'seq'],
          [['pump-1', 'plant-1', 'reading', ts(NOW - MIN), '21', '1500', null, '1']],
        ),
      )
      .resolvesOnce(
        answer(
          ['t', 'measure', 'avg', 'min', 'max', 'count'],
          [
            [ts(NOW - 5 * MIN), 'rpm', '1500', '1500', '1500', '5'],
            [ts(NOW - 5 * MIN), 'temp', '20.5', '20', '21', '5'],
          ],
        ),
      );
    const page = await store().telemetry({
      deviceId: 'pump-1',
      from: NOW - 60 * MIN,
      to: NOW,
      resolution: '5m',
      limit: 2,
      cursor: encodeCursor({ t: NOW - 10 * MIN, m: 'temp' }),
    });
    expect(page.items).toEqual([
      { t: NOW - 5 * MIN, measure: 'rpm', avg: 1500, min: 1500, max: 1500, count: 5 },
      { t: NOW - 5 * MIN, measure: 'temp', avg: 20.5, min: 20, max: 21, count: 5 },
    ]);
    const rollup = queries(timestream)[1]!;
    expect(rollup).toContain('bin(time, 5m)');
    expect(rollup).toContain('avg("rpm")');
    expect(rollup).toContain('avg("temp")');
    expect(rollup).not.toContain('old_one');
    expect(rollup).toContain('UNION ALL');
    expect(rollup).toContain(
      `WHERE t > from_milliseconds(${NOW - 10 * MIN}) OR (t = from_milliseconds(${NOW - 10 * MIN}) AND measure > 'temp')`,
    );
    expect(rollup).toContain('LIMIT 3');
  });

  it('when the measure asked for is not a column of the table, it answers an empty page without querying it', async () => {
    timestream
      .on(QueryCommand)
      .resolves(answer(['deviceId', 'time', 'temp'], [['pump-1', ts(NOW - MIN), '21']]));
    const page = await store().telemetry({
      deviceId: 'pump-1',
      from: NOW - MIN,
      to: NOW,
      measure: 'vibration',
      resolution: 'raw',
      limit: 10,
    });
    expect(page).toEqual({ items: [] });
    expect(timestream).toHaveReceivedCommandTimes(QueryCommand, 1);
  });

  it('when anomalies are filtered, severities, device, window and cursor become SQL and rows become events', async () => {
    timestream.on(QueryCommand).resolves(
      answer(
        ['deviceId', 'site', 'source', 'time', 'score', 'severity', 'measures'],
        [
          ['pump-1', 'plant-1', 'edge', ts(NOW - MIN), '0.97', 'critical', '{"temp":91}'],
          ['pump-1', 'plant-1', 'cloud', ts(NOW - 2 * MIN), '0.9', 'warning', '{"temp":9'],
        ],
      ),
    );
    const page = await store().anomalies({
      from: NOW - 60 * MIN,
      to: NOW,
      severities: ['warning', 'critical'],
      deviceId: 'pump-1',
      limit: 5,
      cursor: encodeCursor({ t: NOW, d: 'pump-9', s: "o'brien" }),
    });
    expect(page.items[0]).toEqual({
      schema: 'aiot.event/1',
      kind: 'anomaly',
      deviceId: 'pump-1',
      site: 'plant-1',
      ts: NOW - MIN,
      score: 0.97,
      severity: 'critical',
      measures: { temp: 91 },
      source: 'edge',
    });
    // A measures text cut off by the writer's 2 KB limit still yields the event.
    expect(page.items[1]!.measures).toEqual({});
    const q = queries(timestream)[0]!;
    expect(q).toContain('FROM "aiot-dev"."events"');
    expect(q).toContain("measure_name = 'anomaly'");
    expect(q).toContain("severity IN ('warning', 'critical')");
    expect(q).toContain("deviceId = 'pump-1'");
    expect(q).toContain("source < 'o''brien'");
    expect(q).toContain('ORDER BY time DESC, deviceId DESC, source DESC LIMIT 6');
  });

  it('when a value could break out of the SQL, it is refused before any query is sent', async () => {
    const s = store();
    await expect(
      s.telemetry({ deviceId: "x' OR '1'='1", from: 0, to: 1, resolution: 'raw', limit: 1 }),
    ).rejects.toThrow('not a device id');
    await expect(s.anomalies({ from: 0.5, to: 1, limit: 1 })).rejects.toThrow('not an epoch-ms time');
    await expect(s.predictions({ deviceId: 'a"b', from: 0, to: 1, limit: 1 })).rejects.toThrow(
      'not a device id',
    );
    await expect(s.listDevices({ limit: 1, cursor: encodeCursor({ d: "'; DROP" }) })).rejects.toThrow(
      InvalidCursor,
    );
    expect(timestream).toHaveReceivedCommandTimes(QueryCommand, 0);
    expect(() => sql.column('temp"; --')).toThrow('not a measure name');
    expect(() => sql.table('db', 'tab"le')).toThrow('not a Timestream name');
    expect(() => sql.text('a\nb')).toThrow('control characters');
    expect(sql.text("it's")).toBe("'it''s'");
  });

  it('when one device is asked for, it combines latest reading, recent counts and the latest prediction', async () => {
    timestream.on(QueryCommand).callsFake((input: { QueryString: string }) => {
      const q = input.QueryString;
      if (q.startsWith('WITH latest')) {
        return answer(
          ['deviceId', 'site', 'measure_name', 'time', 'temp', 'seq', 'first_time'],
          [['pump-1', 'plant-1', 'reading', ts(NOW - MIN), '21', '4', ts(NOW - 90 * MIN)]],
        );
      }
      if (q.includes('GROUP BY severity'))
        return answer(
          ['severity', 'n'],
          [
            ['critical', '2'],
            ['info', '1'],
          ],
        );
      if (q.includes("measure_name = 'prediction'")) {
        return answer(
          ['deviceId', 'site', 'source', 'time', 'probability', 'horizonMs'],
          [['pump-1', 'plant-1', 'xgb-2', ts(NOW - MIN), '0.4', '86400000']],
        );
      }
      return answer(
        ['deviceId', 'last_time', 'last_severity', 'last_score', 'recent_rank'],
        [['pump-1', ts(NOW - MIN), 'critical', '0.99', '2']],
      );
    });
    expect(await store().getDevice('pump-1')).toEqual({
      deviceId: 'pump-1',
      site: 'plant-1',
      health: 'critical',
      latest: { time: NOW - MIN, seq: 4, measures: { temp: 21 } },
      lastAnomaly: { ts: NOW - MIN, severity: 'critical', score: 0.99 },
      firstSeen: NOW - 90 * MIN,
      recentAnomalies: { info: 1, warning: 0, critical: 2 },
      latestPrediction: {
        deviceId: 'pump-1',
        site: 'plant-1',
        ts: NOW - MIN,
        probability: 0.4,
        horizonMs: 86_400_000,
        source: 'xgb-2',
      },
    });
  });

  it('when the device is unknown, getDevice answers undefined', async () => {
    timestream.on(QueryCommand).resolves(answer(['deviceId'], []));
    expect(await store().getDevice('nobody')).toBeUndefined();
  });

  it('when Timestream returns a timestamp, it is read as UTC epoch ms', () => {
    expect(parseTimestamp('2026-11-24 12:00:00.123000000')).toBe(NOW + 123);
    expect(() => parseTimestamp('soon')).toThrow('unexpected timestamp');
  });
});
