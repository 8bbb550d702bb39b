import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { provisionByClaim } from '../../device/provisioning';
import { aedesBroker, type TestBroker } from './device-brokers';

/**
 * The IoT Core side of fleet provisioning, on a local broker: the MQTT API of
 * CreateKeysAndCertificate and RegisterThing as AWS documents it, with the template's parameter
 * checks, so the device client is exercised over real MQTT.
 */
function identityService(url: string, template: string) {
  const client = mqtt.connect(url, { clientId: `identity-${randomUUID()}` });
  const tokens = new Set<string>();
  const registrations: { SerialNumber?: string; Site?: string }[] = [];
  const provisionTopic = `$aws/provisioning-templates/${template}/provision/json`;
  client.on('message', (topic, payload) => {
    if (topic === '$aws/certificates/create/json') {
      const token = randomUUID();
      tokens.add(token);
      void client.publishAsync(
        `${topic}/accepted`,
        JSON.stringify({
          certificateId: 'c0ffee',
          certificatePem: '-----BEGIN CERTIFICATE-----\nissued\n-----END CERTIFICATE-----\n',
          privateKey: '-----BEGIN RSA PRIVATE KEY-----\nsecret\n-----END RSA PRIVATE KEY-----\n',
          certificateOwnershipToken: token,
        }),
      );
    } else if (topic === provisionTopic) {
      const req = JSON.parse(payload.toString()) as {
        certificateOwnershipToken: string;
        parameters: { SerialNumber?: string; Site?: string };
      };
      registrations.push(req.parameters);
      const serial = req.parameters.SerialNumber ?? '';
      if (!tokens.has(req.certificateOwnershipToken) || !/^AIOT-[0-9A-F]{8}$/.test(serial)) {
        void client.publishAsync(
          `${topic}/rejected`,
          JSON.stringify({
            statusCode: 400,
            errorCode: 'InvalidParameters',
            errorMessage: `serial ${serial} refused`,
          }),
        );
        return;
      }
      void client.publishAsync(
        `${topic}/accepted`,
        JSON.stringify({ thingName: serial, deviceConfiguration: { site: req.parameters.Site } }),
      );
    }
  });
  return {
    registrations,
    ready: () =>
      new Promise<void>((resolve) =>
        client.once('connect', async () => {
          await client.subscribeAsync(['$aws/certificates/create/json', provisionTopic]);
          resolve();
        }),
      ),
    close: () => client.endAsync(),
  };
}

describe('provisionByClaim', () => {
  let broker: TestBroker;
  let service: ReturnType<typeof identityService>;
  let out: string;

  beforeAll(async () => {
    broker = await aedesBroker();
    await broker.start();
    service = identityService(broker.url, 'aiot-test-fleet');
    await service.ready();
  });
  afterAll(async () => {
    await service.close();
    await broker.stop();
  });
  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'aiot-provision-'));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  it('when the claim is accepted, the thing is registered with SerialNumber and Site and the key is stored owner-only', async () => {
    const identity = await provisionByClaim({
      claim: { kind: 'url', url: broker.url },
      templateName: 'aiot-test-fleet',
      serialNumber: 'AIOT-0000BEEF',
      site: 'plant-1',
      outDir: out,
    });

    expect(identity.thingName).toBe('AIOT-0000BEEF');
    expect(service.registrations).toContainEqual({ SerialNumber: 'AIOT-0000BEEF', Site: 'plant-1' });
    expect(readFileSync(identity.keyPath, 'utf8')).toContain('secret');
    expect(statSync(identity.keyPath).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(identity.configPath, 'utf8'))).toMatchObject({
      deviceId: 'AIOT-0000BEEF',
      site: 'plant-1',
      certPath: 'device.cert.pem',
      keyPath: 'device.private.key',
    });
  });

  it('when the template refuses the serial number, the reason comes back and nothing is written', async () => {
    await expect(
      provisionByClaim({
        claim: { kind: 'url', url: broker.url },
        templateName: 'aiot-test-fleet',
        serialNumber: 'bogus',
        site: 'plant-1',
        outDir: out,
        timeoutMs: 5000,
      }),
    ).rejects.toThrow('RegisterThing rejected: InvalidParameters 400 serial bogus refused');
    expect(() => statSync(join(out, 'device.private.key'))).toThrow();
  });
});
