import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { InboundMessage } from '../../../local/broker';
import { StreamLog } from '../../../local/stream-log';

const T0 = Date.UTC(2020, 0, 1);
const message = (n: number): InboundMessage => ({
  topic: `dt/aiot/plant-1/dev-${n % 3}/telemetry`,
  payload: Buffer.from(`{"n":${n}}`),
  clientId: `dev-${n % 3}`,
  receivedAt: T0 + n,
});

describe('StreamLog', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'aiot-stream-log-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('when messages are appended in one turn, commits them together and gives each its place, in order', async () => {
    const log = StreamLog.open(path.join(dir, 'stream.db'));
    const appending = [0, 1, 2].map((n) => log.append(message(n)));
    expect(log.staging).toBe(3);
    const logged = await Promise.all(appending);
    expect(log.staging).toBe(0);
    expect(logged.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(logged[1]).toMatchObject({
      topic: 'dt/aiot/plant-1/dev-1/telemetry',
      clientId: 'dev-1',
      receivedAt: T0 + 1,
    });
    expect(log.size).toBe(3);
    log.close();
  });

  it('when the process ends with messages unfinished, the next open finds exactly those, bytes intact', async () => {
    const file = path.join(dir, 'stream.db');
    const log = StreamLog.open(file);
    const logged = await Promise.all([0, 1, 2, 3].map((n) => log.append(message(n))));
    log.complete([logged[0]!.id, logged[2]!.id]);
    expect(log.size).toBe(2);
    log.close();

    const again = StreamLog.open(file);
    const left = again.leftOver();
    expect(left.map((m) => m.id)).toEqual([logged[1]!.id, logged[3]!.id]);
    expect(left.map((m) => m.payload.toString())).toEqual(['{"n":1}', '{"n":3}']);
    expect(left[0]).toMatchObject({ topic: message(1).topic, clientId: 'dev-1', receivedAt: T0 + 1 });
    expect(again.size).toBe(2);
    // Finishing them empties the log; new messages continue after the old places.
    again.complete(left.map((m) => m.id));
    const next = await again.append(message(9));
    expect(next.id).toBeGreaterThan(logged[3]!.id);
    expect(again.size).toBe(1);
    again.close();
    expect(
      StreamLog.open(file)
        .leftOver()
        .map((m) => m.id),
    ).toEqual([next.id]);
  });

  it('when a completion is reported twice, counts the message out once', async () => {
    const log = StreamLog.open(path.join(dir, 'stream.db'));
    const [a, b] = await Promise.all([log.append(message(0)), log.append(message(1))]);
    log.complete([a!.id]);
    log.flush();
    log.complete([a!.id]);
    log.flush();
    expect(log.size).toBe(1);
    expect(log.leftOver().map((m) => m.id)).toEqual([b!.id]);
    log.close();
  });
});
