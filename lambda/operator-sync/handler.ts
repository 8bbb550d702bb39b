import type { WorkOrderReader } from '../../core/ports';
import type { WorkOrder } from '../../core/workorders';

export interface OperatorSyncDeps {
  readonly workOrders: WorkOrderReader;
  /** Writes the orders to where the operator dashboard reads them. */
  readonly write: (orders: readonly WorkOrder[]) => Promise<void>;
  /** Epoch ms now. @default Date.now */
  readonly clock?: () => number;
  /** Orders changed within this window are (re)written; older ones were written before. @default 24 hours */
  readonly lookbackMs?: number;
}

/**
 * Mirrors recently changed work orders into the data lake, where QuickSight can read
 * them (it has no DynamoDB connector). Each status change becomes one row at its `updatedAt`; the
 * dashboard keeps an order's latest state, so rewriting an unchanged order changes nothing it
 * shows, and the lookback covers runs that were missed.
 */
export function makeHandler(deps: OperatorSyncDeps) {
  const lookback = deps.lookbackMs ?? 24 * 3_600_000;
  return async (): Promise<{ scanned: number; written: number }> => {
    const since = (deps.clock ?? Date.now)() - lookback;
    let scanned = 0;
    let written = 0;
    let cursor: string | undefined;
    do {
      const page = await deps.workOrders.list({ limit: 100, cursor });
      scanned += page.items.length;
      const recent = page.items.filter((o) => o.updatedAt >= since);
      if (recent.length) await deps.write(recent);
      written += recent.length;
      cursor = page.cursor;
    } while (cursor);
    return { scanned, written };
  };
}
