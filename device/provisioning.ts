import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { iotidentity, mqtt } from 'aws-iot-device-sdk-v2';
import { DEVICE_ID_PATTERN, SITE_PATTERN } from '../core/telemetry';
import { provisioningClientId } from '../core/topics';
import { type BrokerEndpoint, newConnection } from './connection';

export interface ProvisionOptions {
  /** Where to connect with the claim certificate (IoT Core; a broker URL in tests). */
  readonly claim: Extract<BrokerEndpoint, { kind: 'url' | 'iot-core' }>;
  /** Fleet provisioning template (`aiot-<stage>-fleet`). */
  readonly templateName: string;
  /** The device's serial number: it becomes the thing name (the template's `SerialNumber` parameter). */
  readonly serialNumber: string;
  /** The template's `Site` parameter: the thing's `site` attribute. */
  readonly site: string;
  /** Directory for the issued certificate, its private key (0600) and `device.json`. */
  readonly outDir: string;
  /**
   * Client id of the claim connection.
   * @default `aiot-provision-<serial>` (the only client ids the claim policy allows)
   */
  readonly clientId?: string;
  /** @default 30000 */
  readonly timeoutMs?: number;
}

/** What a provisioned device keeps: its own identity and where to use it. */
export interface DeviceIdentity {
  readonly thingName: string;
  readonly site: string;
  readonly certificateId: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly configPath: string;
  /** Configuration the template returned (`deviceConfiguration`). */
  readonly deviceConfiguration: Record<string, string>;
}

function waitFor<T>(
  what: string,
  timeoutMs: number,
  run: (ok: (v: T) => void, fail: (e: Error) => void) => void,
) {
  return new Promise<T>((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${timeoutMs / 1000}s`)),
      timeoutMs,
    );
    run(
      (v) => {
        clearTimeout(timer);
        resolvePromise(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

const rejection = (what: string, r?: { statusCode?: number; errorCode?: string; errorMessage?: string }) =>
  new Error(
    `${what} rejected: ${r?.errorCode ?? 'error'} ${r?.statusCode ?? ''} ${r?.errorMessage ?? ''}`.trim(),
  );

/**
 * Fleet provisioning by claim, through the SDK's identity client: with the shared claim
 * certificate, ask IoT Core for new keys and a certificate (CreateKeysAndCertificate), then
 * register the thing with the template (RegisterThing with `SerialNumber` and `Site`), and store
 * the issued credentials — the private key readable by its owner only.
 */
export async function provisionByClaim(opts: ProvisionOptions): Promise<DeviceIdentity> {
  if (!DEVICE_ID_PATTERN.test(opts.serialNumber)) {
    throw new Error(`serial number "${opts.serialNumber}" cannot be a thing name (${DEVICE_ID_PATTERN})`);
  }
  if (!SITE_PATTERN.test(opts.site)) throw new Error(`site "${opts.site}" must match ${SITE_PATTERN}`);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const connection = newConnection(opts.claim, {
    clientId: opts.clientId ?? provisioningClientId(opts.serialNumber),
  });
  connection.on('error', () => {});
  await connection.connect();
  try {
    const identity = new iotidentity.IotIdentityClient(connection);
    const qos = mqtt.QoS.AtLeastOnce;

    const keys = await waitFor<iotidentity.model.CreateKeysAndCertificateResponse>(
      'CreateKeysAndCertificate',
      timeoutMs,
      async (ok, fail) => {
        try {
          await identity.subscribeToCreateKeysAndCertificateAccepted({}, qos, (e, r) =>
            e || !r ? fail(e ?? new Error('empty CreateKeysAndCertificate answer')) : ok(r),
          );
          await identity.subscribeToCreateKeysAndCertificateRejected({}, qos, (e, r) =>
            fail(e ?? rejection('CreateKeysAndCertificate', r)),
          );
          await identity.publishCreateKeysAndCertificate({}, qos);
        } catch (e) {
          fail(e as Error);
        }
      },
    );
    if (!keys.certificatePem || !keys.privateKey || !keys.certificateOwnershipToken || !keys.certificateId) {
      throw new Error('CreateKeysAndCertificate answered without certificate, key or ownership token');
    }

    const registered = await waitFor<iotidentity.model.RegisterThingResponse>(
      'RegisterThing',
      timeoutMs,
      async (ok, fail) => {
        const sub = { templateName: opts.templateName };
        try {
          await identity.subscribeToRegisterThingAccepted(sub, qos, (e, r) =>
            e || !r ? fail(e ?? new Error('empty RegisterThing answer')) : ok(r),
          );
          await identity.subscribeToRegisterThingRejected(sub, qos, (e, r) =>
            fail(e ?? rejection('RegisterThing', r)),
          );
          await identity.publishRegisterThing(
            {
              templateName: opts.templateName,
              certificateOwnershipToken: keys.certificateOwnershipToken,
              parameters: { SerialNumber: opts.serialNumber, Site: opts.site },
            },
            qos,
          );
        } catch (e) {
          fail(e as Error);
        }
      },
    );

    const dir = resolve(opts.outDir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const certPath = join(dir, 'device.cert.pem');
    const keyPath = join(dir, 'device.private.key');
    const configPath = join(dir, 'device.json');
    writeFileSync(keyPath, keys.privateKey, { mode: 0o600 });
    chmodSync(keyPath, 0o600);
    writeFileSync(certPath, keys.certificatePem, { mode: 0o644 });
    const thingName = registered.thingName ?? opts.serialNumber;
    const endpoint = opts.claim.kind === 'iot-core' ? opts.claim.endpoint : undefined;
    writeFileSync(
      configPath,
      `${JSON.stringify(
        {
          deviceId: thingName,
          site: opts.site,
          ...(endpoint && { endpoint }),
          ...(opts.claim.kind === 'iot-core' && opts.claim.caPath && { caPath: opts.claim.caPath }),
          certPath: 'device.cert.pem',
          keyPath: 'device.private.key',
          certificateId: keys.certificateId,
        },
        null,
        2,
      )}\n`,
      { mode: 0o600 },
    );
    return {
      thingName,
      site: opts.site,
      certificateId: keys.certificateId,
      certPath,
      keyPath,
      configPath,
      deviceConfiguration: registered.deviceConfiguration ?? {},
    };
  } finally {
    await connection.disconnect().catch(() => {});
  }
}
