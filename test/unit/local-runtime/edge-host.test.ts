import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { InboundMessage } from '../../../local/broker';
import { EdgeHost } from '../../../local/edge-host';

const telemetry = (deviceId: string, seq: number, ts: number): InboundMessage => ({
  topic: `dt/aiot/plant-1/${deviceId}/telemetry`,
  clientId: deviceId,
  receivedAt: ts,
  payload: Buffer.from(
    JSON.stringify({
      schema: 'aiot.telemetry/1',
      deviceId,
      site: 'plant-1',
      seq,
      units: { bearing_temp_c: 'degC' },
      readings: [{ ts, values: { bearing_temp_c: 40 + (seq % 5) } }],
    }),
  ),
});

describe('EdgeHost', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'aiot-edge-host-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('when offered messages, hands the component those its subscriptions match, and carries its cloud publishes out', async () => {
    const published: { topic: string; cloud: boolean }[] = [];
    const edge = await EdgeHost.start({
      stateDir: dir,
      publish: async (topic, _payload, cloud) => {
        published.push({ topic, cloud });
      },
      log: () => {},
    });
    const now = Date.now();
    for (let seq = 0; seq < 30; seq++)
      edge.offer(telemetry(`dev-${seq % 2}`, seq, now - 30_000 + seq * 1000));
    // Not a sensor topic: the component never subscribed to it.
    edge.offer({
      topic: 'cmd/aiot/plant-1/dev-0/safe-mode',
      clientId: 'x',
      receivedAt: now,
      payload: Buffer.from('{}'),
    });
    await edge.stop();

    const stats = edge.stats();
    expect(stats).toMatchObject({ messages: 30, readings: 30, rejected: 0, devices: 2 });
    // Stopping flushes each device's open window to the cloud, through the host.
    expect(stats!.aggregates).toBeGreaterThanOrEqual(2);
    expect(published.filter((p) => p.cloud).map((p) => p.topic)).toEqual(
      expect.arrayContaining([expect.stringContaining('dev-0'), expect.stringContaining('dev-1')]),
    );
  });
});
