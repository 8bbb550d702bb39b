import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { greengrass, http, io } from 'aws-iot-device-sdk-v2';

/** One way to reach a Greengrass core's MQTT broker, with the CA its server certificate chains to. */
export interface CoreEndpoint {
  readonly coreThingArn: string;
  readonly host: string;
  readonly port: number;
  /** The core's group CA certificates (PEM), which the device trusts for this connection only. */
  readonly caPem: string;
}

/** Finds the cores a device may connect to (Greengrass cloud discovery, or a stand-in in tests). */
export interface CoreDiscovery {
  discover(thingName: string): Promise<CoreEndpoint[]>;
}

/**
 * The connection candidates of a discovery answer, in the order AWS gives them: each core's
 * connectivity entries, trusting the certificate authorities of its group.
 * https://docs.aws.amazon.com/greengrass/v2/developerguide/greengrass-discover-api.html
 */
export function coreEndpoints(response: greengrass.model.DiscoverResponse): CoreEndpoint[] {
  return response.gg_groups.flatMap((group) =>
    group.cores.flatMap((core) =>
      core.connectivity.map((c) => ({
        coreThingArn: core.thing_arn,
        host: c.host_address,
        port: c.port,
        caPem: group.certificate_authorities.join('\n'),
      })),
    ),
  );
}

export interface GreengrassDiscoveryOptions {
  /** The device's certificate and key (the same identity it uses with IoT Core). */
  readonly certPath: string;
  readonly keyPath: string;
  /** Amazon Root CA file for the discovery endpoint; the system trust store when absent. */
  readonly caPath?: string;
  /** Region of the discovery endpoint `greengrass-ats.iot.<region>.amazonaws.com`. */
  readonly region: string;
  /** Another discovery host (tests). @default the Region's endpoint */
  readonly serverName?: string;
}

/**
 * Greengrass cloud discovery: `GET /greengrass/discover/thing/<thing>` on the Region's discovery
 * endpoint over mutual TLS with the device certificate, on the SDK's HTTP client (aws-crt). The
 * SDK's own DiscoveryClient never hands its connection back to its pool, which then holds the
 * process open; this one releases it after each call and closes the pool on {@link close}.
 * https://docs.aws.amazon.com/greengrass/v2/developerguide/greengrass-discover-api.html
 */
export class GreengrassDiscovery implements CoreDiscovery {
  private readonly host: string;
  private readonly pool: http.HttpClientConnectionManager;

  constructor(options: GreengrassDiscoveryOptions) {
    const tls = io.TlsContextOptions.create_client_with_mtls_from_path(options.certPath, options.keyPath);
    if (options.caPath) tls.override_default_trust_store_from_path(undefined, options.caPath);
    this.host = options.serverName || `greengrass-ats.iot.${options.region}.amazonaws.com`;
    // Port 443 needs ALPN (`x-amzn-http-ca`); without it the endpoint listens on 8443.
    const alpn = io.is_alpn_available();
    this.pool = new http.HttpClientConnectionManager(
      new io.ClientBootstrap(),
      this.host,
      alpn ? 443 : 8443,
      1,
      16 * 1024,
      new io.SocketOptions(io.SocketType.STREAM, io.SocketDomain.IPV4, 5000),
      new io.TlsConnectionOptions(
        new io.ClientTlsContext(tls),
        this.host,
        alpn ? ['x-amzn-http-ca'] : undefined,
      ),
    );
  }

  async discover(thingName: string): Promise<CoreEndpoint[]> {
    const connection = await this.pool.acquire();
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const request = new http.HttpRequest(
          'GET',
          `/greengrass/discover/thing/${encodeURIComponent(thingName)}`,
          new http.HttpHeaders([['host', this.host]]),
        );
        const stream = connection.request(request);
        let status = 0;
        let text = '';
        stream.on('response', (code) => {
          status = code;
        });
        stream.on('data', (chunk) => {
          text += Buffer.from(chunk).toString('utf8');
        });
        stream.on('end', () =>
          status === 200
            ? resolve(text)
            : reject(new Error(`Greengrass discovery answered ${status}: ${text.slice(0, 200)}`)),
        );
        stream.on('error', (e) => reject(new Error(`Greengrass discovery failed: ${e}`)));
        stream.activate();
      });
      return coreEndpoints(greengrass.model.DiscoverResponse.from_json(JSON.parse(body)));
    } finally {
      this.pool.release(connection);
    }
  }

  /** Closes the connection pool; the object is not used after. */
  close(): void {
    this.pool.close();
  }
}

/**
 * Discovery that remembers its last answer in `<stateDir>/discovery.json`: when the cloud cannot
 * be reached (the site's uplink is down) the device still finds its core, which buffers for it.
 */
export class CachedDiscovery implements CoreDiscovery {
  private readonly file: string;

  constructor(
    private readonly inner: CoreDiscovery,
    stateDir: string,
  ) {
    this.file = join(stateDir, 'discovery.json');
  }

  async discover(thingName: string): Promise<CoreEndpoint[]> {
    try {
      const endpoints = await this.inner.discover(thingName);
      writeFileSync(this.file, JSON.stringify(endpoints), { mode: 0o600 });
      return endpoints;
    } catch (e) {
      if (!existsSync(this.file)) throw e;
      return JSON.parse(readFileSync(this.file, 'utf8')) as CoreEndpoint[];
    }
  }
}
