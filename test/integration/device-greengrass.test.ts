/**
 * The site path, device side: discovery's answer → mutual TLS to the core's broker, falling back
 * to IoT Core directly. The core's broker is a real mosquitto with mutual TLS, certificates from a
 * throwaway PKI made here with openssl: a "core CA" signs the broker's certificate (as client
 * device auth's local CA does), a "device CA" signs the devices' certificates (as Amazon's does),
 * and an ACL lets each device act only under its own id (as client device auth's policy does).
 * The discovery call itself runs through the SDK's discovery client against a local HTTPS
 * stand-in of the discovery endpoint, also with mutual TLS.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { greengrass } from 'aws-iot-device-sdk-v2';
import mqtt from 'mqtt';
import { DeviceAgent } from '../../device/agent';
import { type MtlsBroker, newConnection } from '../../device/connection';
import {
  CachedDiscovery,
  type CoreDiscovery,
  type CoreEndpoint,
  coreEndpoints,
  GreengrassDiscovery,
} from '../../device/discovery';
import { freePort, mosquittoTlsBroker, type TestBroker, type TestPki, testPki } from './device-brokers';

jest.setTimeout(60_000);

const DEVICE = 'AIOT-0000BEEF';
const SITE = 'plant-1';

describe('a device at a site with a Greengrass core', () => {
  let pki: TestPki;
  let core: TestBroker;
  let device: { cert: string; key: string };
  let observer: mqtt.MqttClient;
  const seen: string[] = [];
  let corePem: string;

  beforeAll(async () => {
    pki = testPki();
    pki.newCa('core-ca');
    pki.newCa('device-ca');
    pki.newCa('other-ca');
    const server = pki.issue('core-broker', 'core-ca', 'core', 'IP:127.0.0.1');
    device = pki.issue('device', 'device-ca', DEVICE);
    const watcher = pki.issue('observer', 'device-ca', 'observer');
    core = await mosquittoTlsBroker({
      dir: pki.dir,
      clientCa: pki.ca('device-ca'),
      server,
      acl: [
        'user observer',
        'topic read #',
        'topic write cmd/aiot-edge/#',
        'topic read $aws/rules/#',
        'pattern readwrite dt/aiot/+/%u/#',
        'pattern readwrite cmd/aiot/+/%u/#',
        // Client device auth lets every device of the site take the site's edge commands.
        `pattern read cmd/aiot-edge/${SITE}/+`,
        'pattern write $aws/rules/+/dt/aiot/+/%u/telemetry',
        '',
      ].join('\n'),
    });
    await core.start();
    corePem = readFileSync(pki.ca('core-ca'), 'utf8');
    observer = await mqtt.connectAsync(core.url, {
      clientId: 'observer',
      key: readFileSync(watcher.key),
      cert: readFileSync(watcher.cert),
      ca: corePem,
    });
    await observer.subscribeAsync(['dt/aiot/#', '$aws/rules/#'], { qos: 1 });
    observer.on('message', (topic) => seen.push(topic));
  });
  afterAll(async () => {
    await observer?.endAsync();
    await core?.stop();
    pki?.cleanup();
  });

  const port = () => Number(new URL(core.url).port);
  const mtls = (over: Partial<MtlsBroker> = {}): MtlsBroker => ({
    kind: 'mtls',
    host: '127.0.0.1',
    port: port(),
    caPem: corePem,
    certPath: device.cert,
    keyPath: device.key,
    ...over,
  });
  const discovering = (endpoints: () => Promise<CoreEndpoint[]>): CoreDiscovery => ({ discover: endpoints });

  async function runAgent(discovery: CoreDiscovery, stateDir: string) {
    const logs: string[] = [];
    const agent = new DeviceAgent({
      deviceId: DEVICE,
      site: SITE,
      units: { bearing_temp_c: 'degC' },
      stateDir,
      stage: 'dev',
      broker: {
        kind: 'greengrass',
        discovery,
        // "IoT Core" is the same TLS broker here: what differs is the path and the topic.
        direct: {
          kind: 'iot-core',
          endpoint: '127.0.0.1',
          port: port(),
          caPath: pki.ca('core-ca'),
          ...device_paths(device),
        },
      },
      reconnect: { minS: 1, maxS: 1 },
      logger: (_l, m) => logs.push(m),
    });
    await agent.start();
    agent.record(Date.now(), { bearing_temp_c: 41 });
    agent.flush();
    await agent.stop();
    return { agent, logs };
  }

  it('when discovery names a dead endpoint and then the core, the device connects to the core over mutual TLS and publishes plain telemetry', async () => {
    const dead = await freePort();
    seen.length = 0;
    const { agent, logs } = await runAgent(
      discovering(async () => [
        {
          coreThingArn: 'arn:aws:iot:eu-west-1:1:thing/aiot-dev-core-1',
          host: '127.0.0.1',
          port: dead,
          caPem: corePem,
        },
        {
          coreThingArn: 'arn:aws:iot:eu-west-1:1:thing/aiot-dev-core-1',
          host: '127.0.0.1',
          port: port(),
          caPem: corePem,
        },
      ]),
      join(pki.dir, 'state-core'),
    );
    expect(agent.stats()).toMatchObject({ deliveredMessages: 1, queued: 0 });
    expect(logs.join('\n')).toContain('connected to the site core at mqtts://127.0.0.1:');
    await waitFor(() => seen.includes(`dt/aiot/${SITE}/${DEVICE}/telemetry`));
  });

  it('when no core can be reached, the device publishes to IoT Core directly, over Basic Ingest', async () => {
    seen.length = 0;
    const { agent, logs } = await runAgent(
      discovering(async () => {
        throw new Error('discovery endpoint unreachable');
      }),
      join(pki.dir, 'state-direct'),
    );
    expect(agent.stats()).toMatchObject({ deliveredMessages: 1, queued: 0 });
    expect(logs.join('\n')).toContain('connected to the broker at mqtts://127.0.0.1:');
    await waitFor(() => seen.includes(`$aws/rules/aiot_dev_telemetry/dt/aiot/${SITE}/${DEVICE}/telemetry`));
  });

  it('when the broker presents a certificate from another CA than discovery gave, the device refuses the connection', async () => {
    const other = readFileSync(pki.ca('other-ca'), 'utf8');
    const c = newConnection(mtls({ caPem: other }), { clientId: DEVICE });
    c.on('error', () => {});
    // The TLS library waits 10–30 s before it reports a failed negotiation (s2n's blinding
    // against timing attacks), so this test takes that long.
    await expect(c.connect()).rejects.toMatch(/TLS \(SSL\) negotiation failed/);
  });

  it('when a device has no certificate the core trusts, the core refuses it', async () => {
    const rogue = pki.issue('rogue', 'other-ca', DEVICE);
    const c = newConnection(mtls({ certPath: rogue.cert, keyPath: rogue.key }), { clientId: DEVICE });
    c.on('error', () => {});
    await expect(c.connect()).rejects.toBeTruthy();
  });

  it('when a device presents a trusted certificate, it connects, and may not publish under another id', async () => {
    const c = newConnection(mtls(), { clientId: DEVICE });
    await c.connect();
    seen.length = 0;
    await c.publish(`dt/aiot/${SITE}/AIOT-00000001/telemetry`, '{}', 1);
    await c.publish(`dt/aiot/${SITE}/${DEVICE}/events`, '{}', 1);
    await waitFor(() => seen.includes(`dt/aiot/${SITE}/${DEVICE}/events`));
    expect(seen).not.toContain(`dt/aiot/${SITE}/AIOT-00000001/telemetry`);
    await c.disconnect();
  });

  it('when the edge publishes a safe-mode for one device on the site topic, that device alone applies it and answers', async () => {
    const agent = new DeviceAgent({
      deviceId: DEVICE,
      site: SITE,
      units: { bearing_temp_c: 'degC' },
      stateDir: join(pki.dir, 'state-edge-command'),
      broker: {
        kind: 'greengrass',
        discovery: discovering(async () => [
          {
            coreThingArn: 'arn:aws:iot:eu-west-1:1:thing/aiot-dev-core-1',
            host: '127.0.0.1',
            port: port(),
            caPem: corePem,
          },
        ]),
        direct: {
          kind: 'iot-core',
          endpoint: '127.0.0.1',
          port: port(),
          caPath: pki.ca('core-ca'),
          ...device_paths(device),
        },
      },
      reconnect: { minS: 1, maxS: 1 },
    });
    const answers: string[] = [];
    const onAnswer = (topic: string, payload: Buffer) => {
      if (topic.endsWith('/res')) answers.push(`${topic} ${JSON.parse(payload.toString()).commandId}`);
    };
    observer.on('message', onAnswer);
    await observer.subscribeAsync('cmd/aiot/+/+/+/res', { qos: 1 });
    try {
      await agent.start();
      const command = (commandId: string, deviceId: string) =>
        JSON.stringify({
          schema: 'aiot.command/1',
          commandId,
          issuedAt: 1,
          deviceId,
          params: { reason: 'test' },
        });
      await observer.publishAsync(`cmd/aiot-edge/${SITE}/safe-mode`, command('edge-other', 'AIOT-00000001'), {
        qos: 1,
      });
      await observer.publishAsync(`cmd/aiot-edge/${SITE}/safe-mode`, command('edge-own', DEVICE), { qos: 1 });
      await waitFor(() => answers.length > 0);
      expect(answers).toEqual([`cmd/aiot/${SITE}/${DEVICE}/safe-mode/res edge-own`]);
      expect(agent.safeMode).toBe(true);
      expect(agent.stats()).toMatchObject({ commandsApplied: 1, commandsRejected: 0 });
    } finally {
      observer.off('message', onAnswer);
      await agent.stop();
    }
  });

  describe('Greengrass discovery', () => {
    let discoveryServer: Server;
    let host: string;
    const requests: string[] = [];

    beforeAll(async () => {
      // The SDK's discovery client dials port 443 when ALPN is available, 8443 otherwise, on the
      // host it is given: a loopback address of its own keeps it clear of anything else here.
      host = `127.${40 + (process.pid % 200)}.${process.pid % 250}.9`;
      const cert = pki.issue(`discovery-${host}`, 'core-ca', host, `IP:${host}`);
      discoveryServer = createServer(
        {
          key: readFileSync(cert.key),
          cert: readFileSync(cert.cert),
          ca: readFileSync(pki.ca('device-ca')),
          requestCert: true,
          rejectUnauthorized: true,
          ALPNProtocols: ['x-amzn-http-ca', 'http/1.1'],
        },
        (req, res) => {
          requests.push(`${req.method} ${req.url}`);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              GGGroups: [
                {
                  GGGroupId: 'greengrassV2-coreDevice-aiot-dev-core-1',
                  Cores: [
                    {
                      thingArn: 'arn:aws:iot:eu-west-1:123456789012:thing/aiot-dev-core-1',
                      Connectivity: [
                        {
                          Id: 'AUTOIP_127.0.0.1_0',
                          HostAddress: '127.0.0.1',
                          PortNumber: port(),
                          Metadata: '',
                        },
                      ],
                    },
                  ],
                  CAs: [corePem],
                },
              ],
            }),
          );
        },
      );
      const listenPort = (await import('aws-iot-device-sdk-v2')).io.is_alpn_available() ? 443 : 8443;
      await new Promise<void>((resolve, reject) => {
        discoveryServer.once('error', reject);
        discoveryServer.listen(listenPort, host, () => resolve());
      });
    });
    afterAll(() => new Promise<void>((r) => discoveryServer.close(() => r())));

    it('when the device discovers with its certificate, it gets the core endpoints and CA, and connects with them', async () => {
      const discovery = new GreengrassDiscovery({
        certPath: device.cert,
        keyPath: device.key,
        caPath: pki.ca('core-ca'),
        region: 'eu-west-1',
        serverName: host,
      });
      const endpoints = await discovery.discover(DEVICE).finally(() => discovery.close());
      expect(requests).toContain(`GET /greengrass/discover/thing/${DEVICE}`);
      expect(endpoints).toEqual([
        {
          coreThingArn: 'arn:aws:iot:eu-west-1:123456789012:thing/aiot-dev-core-1',
          host: '127.0.0.1',
          port: port(),
          caPem: corePem,
        },
      ]);
      const c = newConnection(mtls({ caPem: endpoints[0]!.caPem, port: endpoints[0]!.port }), {
        clientId: DEVICE,
      });
      await c.connect();
      await c.disconnect();
    });

    it('when discovery cannot be reached after an answer, the cached answer is used', async () => {
      let up = true;
      const flaky: CoreDiscovery = {
        discover: async () => {
          if (!up) throw new Error('offline');
          return coreEndpoints(
            greengrass.model.DiscoverResponse.from_json({
              GGGroups: [
                {
                  Cores: [
                    { thingArn: 'arn:c', Connectivity: [{ HostAddress: '127.0.0.1', PortNumber: port() }] },
                  ],
                  CAs: [corePem],
                },
              ],
            }),
          );
        },
      };
      const cached = new CachedDiscovery(flaky, pki.dir);
      const first = await cached.discover(DEVICE);
      up = false;
      expect(await cached.discover(DEVICE)).toEqual(first);
      expect(first[0]).toMatchObject({ host: '127.0.0.1', port: port(), caPem: corePem });
    });
  });
});

function device_paths(d: { cert: string; key: string }) {
  return { certPath: d.cert, keyPath: d.key };
}

async function waitFor(ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
