import type { WorkOrder } from '../../../core/workorders';
import { makeHandler } from '../../../lambda/operator-sync/handler';
import { toWorkOrderRecord } from '../../../lambda/operator-sync/records';
import { openLocalStore } from '../../../local/store';
import { SqliteWorkOrderStore } from '../../../local/workflows/sqlite-work-orders';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const HOUR = 3_600_000;

describe('operator-sync', () => {
  it('when it runs, orders changed within the lookback are written, across pages, older ones are not', async () => {
    const local = openLocalStore(':memory:');
    const orders = new SqliteWorkOrderStore(local.db);
    const base = { site: 'plant-1', severity: 'warning' as const, reason: 'vibration', score: 0.8 };
    for (let i = 0; i < 130; i++) {
      const start = NOW - 48 * HOUR + i * 15 * 60_000;
      await orders.open(
        { ...base, deviceId: `pump-${i}`, window: { start, end: start + 900_000 } },
        start + 1000,
      );
    }
    const written: WorkOrder[] = [];
    const sync = makeHandler({
      workOrders: orders,
      write: async (o) => void written.push(...o),
      clock: () => NOW,
    });
    const result = await sync();
    expect(result.scanned).toBe(130);
    // Orders i = 96…129 changed within the last 24 hours (opened 48 h ago plus i quarter-hours).
    const recent = Array.from({ length: 34 }, (_, k) => `pump-${96 + k}`);
    expect(result.written).toBe(34);
    expect(written.map((o) => o.deviceId).sort()).toEqual(recent.sort());
    local.close();
  });

  it('when an order becomes a record, it is versioned by its last change and names the order', () => {
    const order: WorkOrder = {
      id: 'wo-pump-1-1795521600000',
      deviceId: 'pump-1',
      site: 'plant-1',
      severity: 'critical',
      status: 'closed',
      openedAt: NOW - HOUR,
      updatedAt: NOW,
      window: { start: NOW - HOUR, end: NOW - HOUR + 900_000 },
      reason: 'bearing temperature',
      score: 0.97,
      label: 'false-alarm',
    };
    expect(toWorkOrderRecord(order)).toEqual({
      Dimensions: [
        { Name: 'deviceId', Value: 'pump-1' },
        { Name: 'site', Value: 'plant-1' },
        { Name: 'workOrderId', Value: 'wo-pump-1-1795521600000' },
      ],
      MeasureName: 'work_order',
      MeasureValueType: 'MULTI',
      MeasureValues: [
        { Name: 'status', Value: 'closed', Type: 'VARCHAR' },
        { Name: 'severity', Value: 'critical', Type: 'VARCHAR' },
        { Name: 'score', Value: '0.97', Type: 'DOUBLE' },
        { Name: 'openedAt', Value: String(NOW - HOUR), Type: 'BIGINT' },
        { Name: 'label', Value: 'false-alarm', Type: 'VARCHAR' },
      ],
      Time: String(NOW),
      TimeUnit: 'MILLISECONDS',
      Version: NOW,
    });
    const { label: _l, ...unlabelled } = order;
    expect(toWorkOrderRecord(unlabelled).MeasureValues).toContainEqual({
      Name: 'label',
      Value: 'none',
      Type: 'VARCHAR',
    });
  });
});
