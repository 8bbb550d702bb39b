import type { RejectedRecord, TelemetryRecord, TelemetryStore, WriteResult } from '../core/ports';

interface PendingWrite {
  readonly records: readonly TelemetryRecord[];
  readonly resolve: (result: WriteResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A TelemetryStore in front of another that gathers the writes made in one turn of the event
 * loop into a single write. The stream processor writes each message of a batch on its own (as
 * it does against Timestream); the local SQLite store pays a transaction and a device update per
 * write, so one write per batch keeps the local pipeline's cost per message down. Every caller
 * still gets its own result: its rejected records, indexed within its own records.
 */
export class CoalescingTelemetryStore implements TelemetryStore {
  private pending: PendingWrite[] = [];

  constructor(private readonly inner: TelemetryStore) {}

  write(records: readonly TelemetryRecord[]): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => void this.flush());
      this.pending.push({ records, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const writes = this.pending;
    this.pending = [];
    const all = writes.length === 1 ? writes[0]!.records : writes.flatMap((w) => w.records);
    let result: WriteResult;
    try {
      result = await this.inner.write(all);
    } catch (e) {
      for (const w of writes) w.reject(e);
      return;
    }
    const rejectedAt = new Map<number, RejectedRecord>();
    for (const r of result.rejected) rejectedAt.set(r.index, r);
    let offset = 0;
    for (const w of writes) {
      const rejected: RejectedRecord[] = [];
      for (let i = 0; i < w.records.length; i++) {
        const r = rejectedAt.get(offset + i);
        if (r) rejected.push({ ...r, index: i });
      }
      offset += w.records.length;
      w.resolve({ written: w.records.length - rejected.length, rejected });
    }
  }
}
