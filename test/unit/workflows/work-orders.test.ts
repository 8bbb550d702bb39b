import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { Command } from 'commander';
import { anomalyWindow, InvalidTransition, type OpenWorkOrder, workOrderId } from '../../../core/workorders';
import { SqliteWorkOrderStore } from '../../../local/workflows/sqlite-work-orders';
import { registerWorkOrderCommands } from '../../../local/workflows/work-order-cli';

const T0 = Date.UTC(2026, 10, 24, 12);
const opening = (deviceId: string, ts: number): OpenWorkOrder => ({
  deviceId,
  site: 'plant-a',
  severity: 'warning',
  window: anomalyWindow(ts),
  reason: 'score 0.6',
  score: 0.6,
});

describe('SqliteWorkOrderStore', () => {
  it('when the same device and window is opened twice, there is one order and the second open reports it', async () => {
    const store = new SqliteWorkOrderStore(new Database(':memory:'));
    const a = await store.open(opening('pump-1', T0 + 10), T0 + 10);
    const b = await store.open(opening('pump-1', T0 + 20), T0 + 20);

    expect(a.created).toBe(true);
    expect(b).toEqual({ created: false, order: a.order });
    expect(a.order.id).toBe(workOrderId('pump-1', anomalyWindow(T0)));
  });

  it('when listing page by page, every order comes once, newest first, per status', async () => {
    const store = new SqliteWorkOrderStore(new Database(':memory:'));
    for (let i = 0; i < 7; i++) await store.open(opening(`pump-${i}`, T0), T0 + i);
    await store.updateStatus(workOrderId('pump-3', anomalyWindow(T0)), { status: 'escalated', at: T0 + 100 });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list({ status: 'open', limit: 2, cursor });
      seen.push(...page.items.map((o) => o.deviceId));
      cursor = page.cursor;
    } while (cursor);

    expect(seen).toEqual(['pump-6', 'pump-5', 'pump-4', 'pump-2', 'pump-1', 'pump-0']);
    expect((await store.list({ status: 'escalated' })).items.map((o) => o.deviceId)).toEqual(['pump-3']);
    await expect(store.list({ limit: 0 })).rejects.toThrow('limit must be an integer in 1..100');
  });

  it('when an operator confirms, the order carries the anomaly label; a closed order cannot move again', async () => {
    const store = new SqliteWorkOrderStore(new Database(':memory:'));
    const { order } = await store.open(opening('pump-1', T0), T0);
    const confirmed = await store.updateStatus(order.id, {
      status: 'confirmed',
      at: T0 + 5,
      note: 'bearing worn',
    });
    const closed = await store.updateStatus(order.id, { status: 'closed', at: T0 + 9 });

    expect(confirmed).toMatchObject({
      status: 'confirmed',
      label: 'anomaly',
      note: 'bearing worn',
      updatedAt: T0 + 5,
    });
    expect(closed).toMatchObject({ status: 'closed', label: 'anomaly' });
    await expect(store.updateStatus(order.id, { status: 'open', at: T0 + 10 })).rejects.toBeInstanceOf(
      InvalidTransition,
    );
  });
});

describe('aiot work-orders', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'aiot-wo-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[]): Promise<string> {
    const out: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    try {
      const program = new Command().exitOverride();
      registerWorkOrderCommands(program);
      await program.parseAsync(['node', 'aiot', ...args]);
    } finally {
      spy.mockRestore();
    }
    return out.join('');
  }

  it('when an operator closes an order as a false alarm, the database holds the label retraining reads', async () => {
    const file = path.join(dir, 'aiot.db');
    const db = new Database(file);
    const { order } = await new SqliteWorkOrderStore(db).open(opening('pump-9', T0), T0);
    db.close();

    const closed = await run([
      'work-orders',
      'close',
      order.id,
      '--false-alarm',
      '--note',
      'sensor knocked',
      '--db',
      file,
    ]);
    const listed = await run(['work-orders', 'list', '--status', 'closed', '--db', file]);

    expect(closed).toContain(`${order.id}  closed`);
    expect(listed).toContain('label false-alarm');
    const stored = await new SqliteWorkOrderStore(new Database(file)).get(order.id);
    expect(stored).toMatchObject({ status: 'closed', label: 'false-alarm', note: 'sensor knocked' });
  });
});
