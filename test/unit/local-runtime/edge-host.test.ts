import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { InboundMessage } from '../../../local/broker';
import { EdgeHost, shippedAccessControl } from '../../../local/edge-host';

const telemetry = (deviceId: string, seq: number, ts: number, temp = 40 + (seq % 5)): InboundMessage => ({
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
      readings: [{ ts, values: { bearing_temp_c: temp } }],
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
      topic: 'cmd/aiot-edge/plant-1/safe-mode',
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

  /** Offers one reading within the safety margin of bearing_temp_c's limit (90): the component commands safe mode locally. */
  async function nearLimit(accessControl?: ReturnType<typeof shippedAccessControl>) {
    const published: string[] = [];
    const logs: string[] = [];
    const edge = await EdgeHost.start({
      stateDir: dir,
      publish: async (topic, _payload, cloud) => {
        if (!cloud) published.push(topic);
      },
      log: (_level, message) => logs.push(message),
      ...(accessControl && { accessControl }),
    });
    edge.offer(telemetry('dev-0', 1, Date.now(), 85));
    await edge.stop();
    return { published, logs, stats: edge.stats()! };
  }

  it('when a device nears its safety limit, the host carries the local safe-mode command the shipped recipe grants', async () => {
    const { published, stats } = await nearLimit();
    expect(stats.actuations).toBe(1);
    expect(published).toEqual(['cmd/aiot-edge/plant-1/safe-mode']);
  });

  it('when the recipe grants PublishToTopic with MQTT wildcards, the host refuses the command as a core does', async () => {
    const access = shippedAccessControl();
    const pubsub = access['aws.greengrass.ipc.pubsub']!;
    const withPlus = Object.fromEntries(
      Object.entries(pubsub).map(([name, p]) => [
        name,
        p.operations.includes('aws.greengrass#PublishToTopic')
          ? { ...p, resources: ['cmd/aiot-edge/+/safe-mode'] }
          : p,
      ]),
    );
    const { published, logs, stats } = await nearLimit({ ...access, 'aws.greengrass.ipc.pubsub': withPlus });
    expect(stats.actuations).toBe(1);
    expect(published).toEqual([]);
    expect(logs.join('\n')).toMatch(
      /UnauthorizedError: .*#PublishToTopic on cmd\/aiot-edge\/plant-1\/safe-mode/,
    );
  });
});
