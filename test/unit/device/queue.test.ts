import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ForwardQueue, type QueuedMessage, SequenceCounter } from '../../../device/queue';

const message = (seq: number, weight = 10): QueuedMessage => ({
  seq,
  topic: 'dt/aiot/s/d/telemetry',
  body: JSON.stringify({ seq }),
  weight,
});

describe('ForwardQueue', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aiot-queue-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('when messages are acknowledged out of order, the rest stay in order', () => {
    const q = new ForwardQueue({ dir });
    for (let i = 0; i < 5; i++) q.push(message(i));
    expect(q.ack(2)).toBe(2);
    expect(q.ack(0)).toBe(0);
    expect(q.ack(0)).toBe(-1);
    expect([q.at(0)?.seq, q.at(1)?.seq, q.at(2)?.seq]).toEqual([1, 3, 4]);
  });

  it('when a sequence number does not grow, the push is refused', () => {
    const q = new ForwardQueue({ dir });
    q.push(message(5));
    expect(() => q.push(message(5))).toThrow('seq 5 does not follow 5');
  });

  it('when the bound is hit, the oldest message is dropped and counted with its readings', () => {
    const drops: number[] = [];
    const q = new ForwardQueue({ dir, maxMessages: 3 }, (d) => drops.push(d.seq));
    for (let i = 0; i < 5; i++) q.push(message(i, 7));
    expect(q.length).toBe(3);
    expect(q.at(0)?.seq).toBe(2);
    expect(drops).toEqual([0, 1]);
    expect(q.dropped).toEqual({ messages: 2, weight: 14 });
  });

  it('when durable, pending and new messages are on disk (owner-only) and a new queue replays them in order', () => {
    const q = new ForwardQueue({ dir });
    q.push(message(1));
    q.push(message(2));
    expect(readdirSync(dir)).toEqual([]);
    q.setDurable(true);
    q.push(message(3));
    q.ack(1);
    expect(readdirSync(dir).sort()).toHaveLength(2);
    expect(statSync(join(dir, readdirSync(dir)[0]!)).mode & 0o777).toBe(0o600);

    const restarted = new ForwardQueue({ dir });
    expect(restarted.length).toBe(2);
    expect([restarted.at(0)?.seq, restarted.at(1)?.seq]).toEqual([2, 3]);
    expect(restarted.lastSeq).toBe(3);
  });

  it('when the link is up again and the queue drains, the files go with the acknowledgements', () => {
    const q = new ForwardQueue({ dir });
    q.setDurable(true);
    q.push(message(1));
    q.push(message(2));
    q.setDurable(false);
    q.push(message(3));
    expect(q.persisted).toBe(2);
    for (const s of [1, 2, 3]) q.ack(s);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('SequenceCounter', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aiot-seq-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('when the process crashes without saving, the next run never repeats a number', () => {
    const first = new SequenceCounter(dir, 100);
    const taken = Array.from({ length: 150 }, () => first.take());
    const afterCrash = new SequenceCounter(dir, 100);
    expect(afterCrash.take()).toBeGreaterThan(Math.max(...taken));
  });

  it('when saved on a clean stop, the next run continues exactly where it left off', () => {
    const first = new SequenceCounter(dir, 100);
    for (let i = 0; i < 42; i++) first.take();
    first.save();
    expect(new SequenceCounter(dir, 100).take()).toBe(42);
  });

  it('when queued messages hold higher numbers than the file, it starts above them', () => {
    expect(new SequenceCounter(dir, 100, 500).take()).toBe(500);
  });
});
