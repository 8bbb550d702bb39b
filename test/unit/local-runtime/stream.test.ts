import type { KinesisStreamEvent } from 'aws-lambda';
import { type DeadLetter, LocalStream } from '../../../local/stream';

const decode = (e: KinesisStreamEvent) =>
  e.Records.map((r) => ({
    key: r.kinesis.partitionKey,
    data: Buffer.from(r.kinesis.data, 'base64').toString(),
  }));

describe('LocalStream', () => {
  it('when records are put, delivers Kinesis batches with base64 data, in order per partition key', async () => {
    const seen: { key: string; data: string }[] = [];
    const stream = new LocalStream(
      async (e) => {
        expect(e.Records.every((r) => r.eventSource === 'aws:kinesis')).toBe(true);
        seen.push(...decode(e));
        return { batchItemFailures: [] };
      },
      { shards: 3, batchWindowMs: 1, batchSize: 7 },
    );
    for (let i = 0; i < 60; i++) stream.put(`dev-${i % 5}`, Buffer.from(String(i)));
    await stream.drained();
    expect(seen).toHaveLength(60);
    for (let d = 0; d < 5; d++) {
      const values = seen.filter((s) => s.key === `dev-${d}`).map((s) => Number(s.data));
      expect(values).toEqual([...values].sort((a, b) => a - b));
      expect(values).toHaveLength(12);
    }
    expect(stream.pending).toBe(0);
  });

  it('when the handler reports a failed record, retries from it and keeps the order', async () => {
    const seen: string[] = [];
    let failOnce = true;
    const stream = new LocalStream(
      async (e) => {
        const failAt = e.Records.findIndex((r) => Buffer.from(r.kinesis.data, 'base64').toString() === '3');
        if (failAt >= 0 && failOnce) {
          failOnce = false;
          for (const r of e.Records.slice(0, failAt))
            seen.push(Buffer.from(r.kinesis.data, 'base64').toString());
          return { batchItemFailures: [{ itemIdentifier: e.Records[failAt]!.kinesis.sequenceNumber }] };
        }
        seen.push(...e.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString()));
        return { batchItemFailures: [] };
      },
      { shards: 1, batchWindowMs: 1, retryDelayMs: 1 },
    );
    for (let i = 0; i < 6; i++) stream.put('dev', Buffer.from(String(i)));
    await stream.drained();
    expect(seen).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(stream.dead()).toEqual([]);
  });

  it('when a record keeps failing past the retries, dead-letters it, says so, and goes on with the rest', async () => {
    const dead: DeadLetter[] = [];
    const stored: string[] = [];
    const stream = new LocalStream(
      async (e) => {
        const bad = e.Records.find((r) => Buffer.from(r.kinesis.data, 'base64').toString() === 'poison');
        if (bad) throw new Error('store unreachable');
        stored.push(...decode(e).map((r) => r.data));
        return { batchItemFailures: [] };
      },
      { shards: 1, batchWindowMs: 1, retryDelayMs: 1, retryAttempts: 2, onDeadLetter: (d) => dead.push(d) },
    );
    stream.put('dev', Buffer.from('poison'));
    stream.put('dev', Buffer.from('fine'));
    await stream.drained();
    expect(dead).toEqual([
      expect.objectContaining({
        partitionKey: 'dev',
        attempts: 3,
        reason: 'the handler threw: store unreachable',
      }),
    ]);
    expect(dead[0]!.data.toString()).toBe('poison');
    expect(stream.dead()).toHaveLength(1);
    expect(stored).toEqual(['fine']);
  });
});
