import type { TelemetryRecord, TelemetryStore } from '../../../core/ports';
import { openLocalStore } from '../../../local/store';
import { CoalescingTelemetryStore } from '../../../local/write-coalescer';

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
const rec = (deviceId: string, i: number, value = i): TelemetryRecord => ({
  deviceId,
  site: 'plant-a',
  time: T0 + i * 1000,
  seq: i,
  measures: { vibration_rms: value },
});

describe('CoalescingTelemetryStore', () => {
  it('when writes arrive in one turn, makes one write and gives each caller its own result', async () => {
    const local = openLocalStore(':memory:');
    const calls: number[] = [];
    const counted: TelemetryStore = {
      write: (records) => {
        calls.push(records.length);
        return local.telemetry.write(records);
      },
    };
    const store = new CoalescingTelemetryStore(counted);
    const [a, b, c] = await Promise.all([
      store.write([rec('dev-a', 0), rec('dev-a', 1)]),
      // The second record conflicts with dev-a's reading at the same instant written just before.
      store.write([rec('dev-b', 0), rec('dev-a', 1, 99), rec('dev-b', 1)]),
      store.write([{ ...rec('dev-c', 0), measures: {} }]),
    ]);
    expect(calls).toEqual([6]);
    expect(a).toEqual({ written: 2, rejected: [] });
    expect(b).toEqual({
      written: 2,
      rejected: [expect.objectContaining({ index: 1, kind: 'conflict' })],
    });
    expect(c).toEqual({ written: 0, rejected: [expect.objectContaining({ index: 0, kind: 'invalid' })] });
    const rows = local.db.prepare('SELECT count(*) AS n FROM readings').get() as { n: number };
    expect(rows.n).toBe(4);
    local.close();
  });

  it('when writes come in separate turns, writes each on its own', async () => {
    const calls: number[] = [];
    const store = new CoalescingTelemetryStore({
      write: async (records) => {
        calls.push(records.length);
        return { written: records.length, rejected: [] };
      },
    });
    await store.write([rec('d', 0)]);
    await store.write([rec('d', 1), rec('d', 2)]);
    expect(calls).toEqual([1, 2]);
  });

  it('when the store cannot be reached, every caller of that write sees the error', async () => {
    const store = new CoalescingTelemetryStore({
      write: async () => {
        throw new Error('database is locked');
      },
    });
    const results = await Promise.allSettled([store.write([rec('d', 0)]), store.write([rec('e', 0)])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(store.write([rec('f', 0)])).rejects.toThrow('database is locked');
  });
});
