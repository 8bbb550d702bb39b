import { InvalidCursor } from '../../core/cursor';
import type { WorkOrderStore } from '../../core/ports';
import {
  InvalidTransition,
  type OpenWorkOrder,
  type WorkOrder,
  WorkOrderNotFound,
} from '../../core/workorders';
import { contractEnv, type Disposable, eachTest, MIN, type SubjectEntry } from './harness/subject';

export interface WorkOrderStoreSubject extends Disposable {
  readonly store: WorkOrderStore;
  /** From now on the backend cannot be reached. */
  cutOff(): Promise<void> | void;
}

const WINDOW = 15 * MIN;

export const openRequest = (
  deviceId: string,
  windowStart: number,
  extra: Partial<OpenWorkOrder> = {},
): OpenWorkOrder => ({
  deviceId,
  site: 'plant-1',
  severity: 'critical',
  window: { start: windowStart, end: windowStart + WINDOW },
  reason: `score 0.97 on temp (${deviceId})`,
  score: 0.97,
  ...extra,
});

/** Every page of a listing, following cursors to the end. */
export async function allPages(
  store: Pick<WorkOrderStore, 'list'>,
  query: Parameters<WorkOrderStore['list']>[0],
): Promise<{ pages: (readonly WorkOrder[])[]; items: WorkOrder[] }> {
  const pages: (readonly WorkOrder[])[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ ...query, cursor });
    pages.push(page.items);
    cursor = page.cursor;
  } while (cursor && pages.length < 100);
  return { pages, items: pages.flat() };
}

/**
 * The WorkOrderStore port (core/ports/work-order-store.ts): `open` idempotent by device and
 * window; `get`; `list` newest first (opening time, then id) with a status filter and cursor
 * paging; `updateStatus` checked against the transitions, a repeated change a no-op;
 * `raiseSeverity` upwards only, never on a closed order.
 */
export function workOrderStoreContract({ name, make, prepare }: SubjectEntry<WorkOrderStoreSubject>): void {
  describe(`WorkOrderStore contract: ${name}`, () => {
    prepare?.();
    const env = contractEnv();
    const NOW = env.now;
    const s = eachTest(make, env);

    /** Opens orders for pump-0…pump-(n-1), one a minute apart, oldest first. */
    const openMany = async (n: number, at = (i: number) => NOW - (n - i) * MIN) => {
      const out: WorkOrder[] = [];
      for (let i = 0; i < n; i++)
        out.push((await s.store.open(openRequest(`pump-${i}`, NOW - WINDOW), at(i))).order);
      return out;
    };

    it('when an order is opened, it is stored open with the id of its device and window, and get returns it', async () => {
      const { created, order } = await s.store.open(
        openRequest('pump-1', NOW - WINDOW, { execution: 'run-1' }),
        NOW,
      );
      expect(created).toBe(true);
      expect(order).toEqual({
        ...openRequest('pump-1', NOW - WINDOW, { execution: 'run-1' }),
        id: `wo-pump-1-${NOW - WINDOW}`,
        status: 'open',
        openedAt: NOW,
        updatedAt: NOW,
      });
      expect(await s.store.get(order.id)).toEqual(order);
    });

    it('when the same device and window is opened again, the first order is returned unchanged and no second one exists', async () => {
      const first = await s.store.open(openRequest('pump-1', NOW - WINDOW), NOW);
      const again = await s.store.open(
        openRequest('pump-1', NOW - WINDOW, { reason: 'a retried step', score: 0.5 }),
        NOW + MIN,
      );
      expect(again).toEqual({ created: false, order: first.order });
      const other = await s.store.open(openRequest('pump-1', NOW), NOW + MIN);
      expect(other.created).toBe(true);
      expect((await allPages(s.store, {})).items.map((o) => o.id)).toEqual([other.order.id, first.order.id]);
    });

    it('when the input is invalid, open throws and stores nothing', async () => {
      await expect(s.store.open(openRequest('pump 1', NOW - WINDOW), NOW)).rejects.toThrow(/deviceId/);
      await expect(s.store.open(openRequest('pump-1', NOW - WINDOW, { score: 2 }), NOW)).rejects.toThrow();
      expect(await s.store.list()).toEqual({ items: [] });
    });

    it('when nothing was opened, get answers undefined and list an empty last page', async () => {
      expect(await s.store.get('wo-nobody-0')).toBeUndefined();
      expect(await s.store.list()).toEqual({ items: [] });
      expect(await s.store.list({ status: 'open', limit: 5 })).toEqual({ items: [] });
    });

    it('when all orders are listed page by page, every order comes once, newest first, and the last page has no cursor', async () => {
      const orders = await openMany(7);
      const { pages, items } = await allPages(s.store, { limit: 3 });
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(items).toEqual([...orders].reverse());
    });

    it('when orders were opened at the same instant, they are listed by id, highest first, without loss across pages', async () => {
      const orders = await openMany(5, () => NOW);
      const ids = orders
        .map((o) => o.id)
        .sort()
        .reverse();
      expect((await allPages(s.store, { limit: 2 })).items.map((o) => o.id)).toEqual(ids);
      expect((await allPages(s.store, { status: 'open', limit: 2 })).items.map((o) => o.id)).toEqual(ids);
    });

    it('when listed by status, only orders in that status come, newest first, and a status change moves an order between lists', async () => {
      const orders = await openMany(6);
      await s.store.updateStatus(orders[1]!.id, { status: 'acknowledged', at: NOW });
      await s.store.updateStatus(orders[4]!.id, { status: 'acknowledged', at: NOW });
      const acknowledged = await allPages(s.store, { status: 'acknowledged', limit: 1 });
      expect(acknowledged.items.map((o) => o.id)).toEqual([orders[4]!.id, orders[1]!.id]);
      expect(acknowledged.items.every((o) => o.status === 'acknowledged')).toBe(true);
      const open = await allPages(s.store, { status: 'open', limit: 2 });
      expect(open.items.map((o) => o.id)).toEqual([5, 3, 2, 0].map((i) => orders[i]!.id));
      expect(await s.store.list({ status: 'closed' })).toEqual({ items: [] });
    });

    it('when a cursor is not one the store gave, or the page size is out of range, list refuses it', async () => {
      await openMany(2);
      await expect(s.store.list({ cursor: 'not-a-cursor' })).rejects.toThrow(InvalidCursor);
      await expect(s.store.list({ cursor: Buffer.from('{"x":1}').toString('base64url') })).rejects.toThrow(
        InvalidCursor,
      );
      await expect(s.store.list({ limit: 0 })).rejects.toThrow(RangeError);
      await expect(s.store.list({ limit: 101 })).rejects.toThrow(RangeError);
      expect((await s.store.list({ limit: 100 })).items).toHaveLength(2);
    });

    it('when the status changes along the allowed transitions, the order carries status, time, label and note', async () => {
      const { order } = await s.store.open(openRequest('pump-1', NOW - WINDOW), NOW);
      const acknowledged = await s.store.updateStatus(order.id, { status: 'acknowledged', at: NOW + MIN });
      expect(acknowledged).toEqual({ ...order, status: 'acknowledged', updatedAt: NOW + MIN });
      const confirmed = await s.store.updateStatus(order.id, {
        status: 'confirmed',
        at: NOW + 2 * MIN,
        note: 'bearing worn',
      });
      expect(confirmed).toEqual({
        ...order,
        status: 'confirmed',
        updatedAt: NOW + 2 * MIN,
        label: 'anomaly',
        note: 'bearing worn',
      });
      expect(await s.store.get(order.id)).toEqual(confirmed);
      const closed = await s.store.updateStatus(order.id, { status: 'closed', at: NOW + MIN });
      expect(closed.updatedAt).toBe(NOW + 2 * MIN);
      expect(await s.store.get(order.id)).toEqual(closed);
    });

    it('when the same status is set again (a retried step), nothing changes', async () => {
      const { order } = await s.store.open(openRequest('pump-1', NOW - WINDOW), NOW);
      const escalated = await s.store.updateStatus(order.id, { status: 'escalated', at: NOW + MIN });
      expect(await s.store.updateStatus(order.id, { status: 'escalated', at: NOW + 5 * MIN })).toEqual(
        escalated,
      );
      expect(await s.store.get(order.id)).toEqual(escalated);
    });

    it('when a transition is not allowed or the order does not exist, updateStatus throws the typed error and changes nothing', async () => {
      const { order } = await s.store.open(openRequest('pump-1', NOW - WINDOW), NOW);
      const closed = await s.store.updateStatus(order.id, {
        status: 'closed',
        at: NOW + MIN,
        label: 'false-alarm',
      });
      expect(closed.label).toBe('false-alarm');
      await expect(s.store.updateStatus(order.id, { status: 'open', at: NOW + 2 * MIN })).rejects.toThrow(
        InvalidTransition,
      );
      expect(await s.store.get(order.id)).toEqual(closed);
      await expect(s.store.updateStatus('wo-nobody-0', { status: 'closed', at: NOW })).rejects.toThrow(
        WorkOrderNotFound,
      );
    });

    it('when a warning order is raised to critical, only severity, time and note change, once', async () => {
      const { order } = await s.store.open(openRequest('pump-1', NOW - WINDOW, { severity: 'warning' }), NOW);
      const first = await s.store.raiseSeverity(order.id, {
        severity: 'critical',
        at: NOW + MIN,
        note: 'episode escalated to critical',
      });
      const raised = {
        ...order,
        severity: 'critical',
        updatedAt: NOW + MIN,
        note: 'episode escalated to critical',
      };
      expect(first).toEqual({ raised: true, order: raised });
      expect(await s.store.get(order.id)).toEqual(raised);
      // A duplicate escalation: already critical, nothing changes.
      expect(await s.store.raiseSeverity(order.id, { severity: 'critical', at: NOW + 2 * MIN })).toEqual({
        raised: false,
        order: raised,
      });
      expect((await s.store.list({ status: 'open' })).items).toEqual([raised]);
    });

    it('when the order is closed, already as severe, or missing, raiseSeverity changes nothing', async () => {
      const { order } = await s.store.open(openRequest('pump-1', NOW - WINDOW, { severity: 'warning' }), NOW);
      const closed = await s.store.updateStatus(order.id, {
        status: 'closed',
        at: NOW + MIN,
        label: 'false-alarm',
      });
      expect(await s.store.raiseSeverity(order.id, { severity: 'critical', at: NOW + 2 * MIN })).toEqual({
        raised: false,
        order: closed,
      });
      expect(await s.store.get(order.id)).toEqual(closed);
      const other = await s.store.open(openRequest('pump-2', NOW - WINDOW, { severity: 'warning' }), NOW);
      expect(await s.store.raiseSeverity(other.order.id, { severity: 'warning', at: NOW + MIN })).toEqual({
        raised: false,
        order: other.order,
      });
      await expect(s.store.raiseSeverity('wo-nobody-0', { severity: 'critical', at: NOW })).rejects.toThrow(
        WorkOrderNotFound,
      );
    });

    it('when an escalated (unacknowledged) warning order is raised, its status stays', async () => {
      const { order } = await s.store.open(openRequest('pump-1', NOW - WINDOW, { severity: 'warning' }), NOW);
      const escalated = await s.store.updateStatus(order.id, { status: 'escalated', at: NOW + MIN });
      const { raised, order: after } = await s.store.raiseSeverity(order.id, {
        severity: 'critical',
        at: NOW,
      });
      expect(raised).toBe(true);
      expect(after).toEqual({ ...escalated, severity: 'critical' });
      expect(await s.store.get(order.id)).toEqual(after);
    });

    it('when the store cannot be reached, calls throw', async () => {
      await s.cutOff();
      await expect(s.store.open(openRequest('pump-1', NOW - WINDOW), NOW)).rejects.toThrow();
      await expect(s.store.list()).rejects.toThrow();
    });
  });
}
