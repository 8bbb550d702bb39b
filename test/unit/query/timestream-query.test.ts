import { QueryCommand, TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { mockClient } from 'aws-sdk-client-mock';
import { encodeCursor, InvalidCursor } from '../../../core/cursor';
import { parseTimestamp, sql, TimestreamQueryStore } from '../../../lambda/shared/timestream-query';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
/**
 * What the adapter answers is proven by the QueryStore contract (test/contracts), which runs the
 * SQL it generates; what stays here is the guard that nothing a caller sends reaches that SQL.
 */
describe('TimestreamQueryStore', () => {
  const timestream = mockClient(TimestreamQueryClient);
  const store = () =>
    new TimestreamQueryStore({
      client: new TimestreamQueryClient({}),
      databaseName: 'aiot-dev',
      clock: () => NOW,
    });
  beforeEach(() => timestream.reset());

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

  it('when Timestream returns a timestamp, it is read as UTC epoch ms', () => {
    expect(parseTimestamp('2026-11-24 12:00:00.123000000')).toBe(NOW + 123);
    expect(() => parseTimestamp('soon')).toThrow('unexpected timestamp');
  });
});
