import { io, iot, mqtt } from 'aws-iot-device-sdk-v2';
import type { CoreDiscovery } from './discovery';

/**
 * Where a device connects: AWS IoT Core with mutual TLS, or any MQTT 3.1.1 broker by URL
 * without TLS (a local broker, tests). The same client code serves both: the SDK connects
 * without TLS when it is given no TLS context.
 */
export type BrokerEndpoint =
  | { readonly kind: 'url'; readonly url: string }
  | IotCoreEndpoint
  | {
      /**
       * A device at a site: it finds its Greengrass core by discovery and connects to the core's
       * broker with mutual TLS (the core relays to IoT Core and buffers while offline); when no
       * core answers, it connects to IoT Core directly.
       */
      readonly kind: 'greengrass';
      readonly discovery: CoreDiscovery;
      /** IoT Core, when no core can be reached (the same certificate and key serve both). */
      readonly direct: IotCoreEndpoint;
    }
  | MtlsBroker;

export interface IotCoreEndpoint {
  readonly kind: 'iot-core';
  /** The account's IoT data endpoint (`xxxx-ats.iot.<region>.amazonaws.com`). */
  readonly endpoint: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** Amazon Root CA file; the system trust store when absent. */
  readonly caPath?: string;
  /** @default 8883 */
  readonly port?: number;
}

/** An MQTT broker with mutual TLS that the device trusts through a CA given as PEM (a Greengrass core). */
export interface MtlsBroker {
  readonly kind: 'mtls';
  readonly host: string;
  readonly port: number;
  readonly caPem: string;
  readonly certPath: string;
  readonly keyPath: string;
}

/** Where a connection leads: a site's core, IoT Core directly, or a plain broker. */
export type LinkPath = 'core' | 'direct' | 'broker';

/** Parses `mqtt://host:port` (TLS-less, for local brokers). */
export function parseBrokerUrl(url: string): { host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`broker URL "${url}" is not a URL; expected mqtt://host:port`);
  }
  if (parsed.protocol !== 'mqtt:' && parsed.protocol !== 'tcp:') {
    throw new Error(
      `broker URL "${url}" must start with mqtt:// (TLS-less local broker); for AWS IoT Core give the endpoint, certificate and key`,
    );
  }
  const port = parsed.port ? Number(parsed.port) : 1883;
  return { host: parsed.hostname || '127.0.0.1', port };
}

/** A human-readable name of the endpoint, for logs. */
export function describeEndpoint(e: BrokerEndpoint): string {
  switch (e.kind) {
    case 'url':
      return e.url;
    case 'iot-core':
      return `mqtts://${e.endpoint}:${e.port ?? 8883}`;
    case 'mtls':
      return `mqtts://${e.host}:${e.port}`;
    case 'greengrass':
      return `the site's Greengrass core (discovery), else ${describeEndpoint(e.direct)}`;
  }
}

export interface LinkOptions {
  /** The MQTT client id: the device id (IoT Core and the local broker only let a client act as itself). */
  readonly clientId: string;
  /** @default 30 */
  readonly keepAliveS?: number;
  /** @default 1 */
  readonly reconnectMinS?: number;
  /** @default 16 */
  readonly reconnectMaxS?: number;
  /** Called on every successful (re)connection. */
  readonly onUp?: () => void;
  /** Called when an established connection is lost. */
  readonly onDown?: (reason: string) => void;
  /** Called when a connection is made, saying where it leads (a site's core or IoT Core). */
  readonly onPath?: (path: LinkPath, where: string) => void;
}

/**
 * A new SDK MQTT 3.1.1 connection (not yet connected) to the endpoint: TLS-less for a broker URL,
 * mutual TLS for IoT Core.
 */
export function newConnection(
  endpoint: Exclude<BrokerEndpoint, { kind: 'greengrass' }>,
  o: Pick<LinkOptions, 'clientId' | 'keepAliveS' | 'reconnectMinS' | 'reconnectMaxS'>,
): mqtt.MqttClientConnection {
  const client = new mqtt.MqttClient(sharedBootstrap());
  if (endpoint.kind === 'mtls') {
    // A core's broker presents a certificate from the core's own CA: trust that CA, for this connection only.
    const builder = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(
      endpoint.certPath,
      endpoint.keyPath,
    )
      .with_certificate_authority(endpoint.caPem)
      .with_endpoint(endpoint.host)
      .with_port(endpoint.port);
    return client.new_connection(withSession(builder, o).build());
  }
  if (endpoint.kind === 'url') {
    const { host, port } = parseBrokerUrl(endpoint.url);
    return client.new_connection({
      client_id: o.clientId,
      host_name: host,
      port,
      clean_session: true,
      keep_alive: o.keepAliveS ?? 30,
      reconnect_min_sec: o.reconnectMinS ?? 1,
      reconnect_max_sec: o.reconnectMaxS ?? 16,
      protocol_operation_timeout: 20_000,
      socket_options: new io.SocketOptions(io.SocketType.STREAM, io.SocketDomain.IPV4, 5000),
    });
  }
  const e = endpoint;
  const builder = withSession(
    iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(e.certPath, e.keyPath)
      .with_endpoint(e.endpoint)
      .with_port(e.port ?? 8883),
    o,
  );
  if (e.caPath) builder.with_certificate_authority_from_path(undefined, e.caPath);
  return client.new_connection(builder.build());
}

function withSession(
  builder: iot.AwsIotMqttConnectionConfigBuilder,
  o: Pick<LinkOptions, 'clientId' | 'keepAliveS' | 'reconnectMinS' | 'reconnectMaxS'>,
): iot.AwsIotMqttConnectionConfigBuilder {
  return builder
    .with_client_id(o.clientId)
    .with_clean_session(true)
    .with_keep_alive_seconds(o.keepAliveS ?? 30)
    .with_reconnect_min_sec(o.reconnectMinS ?? 1)
    .with_reconnect_max_sec(o.reconnectMaxS ?? 16)
    .with_timeout_ms(20_000);
}

interface Candidate {
  readonly endpoint: Exclude<BrokerEndpoint, { kind: 'greengrass' }>;
  readonly path: LinkPath;
}

/**
 * Where to try connecting, in order: for a device at a site, each connectivity entry of the cores
 * discovery names (none when discovery fails), then IoT Core directly.
 */
async function candidates(endpoint: BrokerEndpoint, thingName: string): Promise<Candidate[]> {
  switch (endpoint.kind) {
    case 'url':
      return [{ endpoint, path: 'broker' }];
    case 'iot-core':
      return [{ endpoint, path: 'direct' }];
    case 'mtls':
      return [{ endpoint, path: 'core' }];
    case 'greengrass': {
      const cores = await endpoint.discovery.discover(thingName).catch(() => []);
      const { certPath, keyPath } = endpoint.direct;
      return [
        ...cores.map((c) => ({
          endpoint: { kind: 'mtls' as const, host: c.host, port: c.port, caPem: c.caPem, certPath, keyPath },
          path: 'core' as const,
        })),
        { endpoint: endpoint.direct, path: 'direct' },
      ];
    }
  }
}

type MessageHandler = (topic: string, payload: Buffer) => void;

let bootstrap: io.ClientBootstrap | undefined;
/** One event-loop group for every connection of the process (a simulated fleet shares it). */
function sharedBootstrap(): io.ClientBootstrap {
  bootstrap ??= new io.ClientBootstrap();
  return bootstrap;
}

function errorText(e: unknown): string {
  if (e instanceof Error && e.message) return e.message;
  const o = e as { error_name?: string; error?: unknown } | undefined;
  return o?.error_name ?? String(o?.error ?? e);
}

/**
 * One device's MQTT link over the AWS IoT Device SDK v2 (MQTT 3.1.1). It keeps trying to
 * connect until it is closed, restores its subscriptions after a reconnection without a
 * session, and reports up/down so the caller can pause and resume sending.
 */
export class MqttLink {
  private connection: mqtt.MqttClientConnection | undefined;
  private readonly subscriptions = new Map<
    string,
    { readonly handler: MessageHandler; readonly paths?: readonly LinkPath[] }
  >();
  private up = false;
  private current: LinkPath | undefined;
  private closed = true;
  private opening: Promise<void> | undefined;
  /** Bumped by every open/close, so a connect loop of an earlier open() gives up. */
  private epoch = 0;

  constructor(
    private readonly endpoint: BrokerEndpoint,
    private readonly options: LinkOptions,
  ) {}

  get connected(): boolean {
    return this.up;
  }

  /** Where the current connection leads; undefined while not connected. */
  get path(): LinkPath | undefined {
    return this.up ? this.current : undefined;
  }

  /**
   * Connects, retrying with backoff until connected or closed. Resolves once connected (or
   * when {@link close} is called first).
   */
  open(): Promise<void> {
    if (!this.closed && this.opening) return this.opening;
    this.closed = false;
    this.opening = this.connectLoop(++this.epoch);
    return this.opening;
  }

  /** Disconnects and stops reconnecting. Pending publishes fail; the caller keeps their messages. */
  async close(): Promise<void> {
    this.closed = true;
    this.epoch++;
    const c = this.connection;
    this.connection = undefined;
    const wasUp = this.up;
    this.up = false;
    if (c) {
      await c.disconnect().catch(() => {});
      c.removeAllListeners();
    }
    if (wasUp) this.options.onDown?.('closed');
  }

  /** QoS 1 publish; resolves on PUBACK. */
  async publish(topic: string, payload: string | Buffer): Promise<void> {
    const c = this.connection;
    if (!c || !this.up) throw new Error('not connected');
    await c.publish(topic, payload, mqtt.QoS.AtLeastOnce);
  }

  /**
   * QoS 1 subscription, kept across reconnections.
   *
   * @param paths where the subscription is made (every path when absent): a site's edge commands
   *   exist on a core's broker, and IoT Core would refuse the filter
   */
  async subscribe(filter: string, handler: MessageHandler, paths?: readonly LinkPath[]): Promise<void> {
    this.subscriptions.set(filter, { handler, paths });
    if (this.connection && this.up && this.onPath(paths))
      await this.subscribeOne(this.connection, filter, handler);
  }

  private onPath(paths: readonly LinkPath[] | undefined): boolean {
    return !paths || (this.current !== undefined && paths.includes(this.current));
  }

  private async subscribeOne(c: mqtt.MqttClientConnection, filter: string, handler: MessageHandler) {
    const res = await c.subscribe(filter, mqtt.QoS.AtLeastOnce, (topic, payload) =>
      handler(topic, Buffer.from(payload)),
    );
    if (res.error_code) throw new Error(`subscription to ${filter} refused (code ${res.error_code})`);
  }

  private async connectLoop(epoch: number): Promise<void> {
    let delayMs = (this.options.reconnectMinS ?? 1) * 1000;
    const maxMs = (this.options.reconnectMaxS ?? 16) * 1000;
    const current = () => !this.closed && epoch === this.epoch;
    while (current()) {
      for (const candidate of await candidates(this.endpoint, this.options.clientId)) {
        if (!current()) return;
        if (await this.tryConnect(candidate, current)) return;
      }
      if (!current()) return;
      await new Promise((r) => setTimeout(r, delayMs));
      delayMs = Math.min(maxMs, delayMs * 2);
    }
  }

  /** One connection attempt; true when connected (or when the link was closed meanwhile). */
  private async tryConnect(candidate: Candidate, current: () => boolean): Promise<boolean> {
    const c = newConnection(candidate.endpoint, this.options);
    // The SDK emits 'error' for operations failing across a disconnection; the caller learns of
    // those through the publish promises, so the event only needs a listener.
    c.on('error', () => {});
    c.on('interrupt', (e) => {
      if (this.connection !== c) return;
      this.up = false;
      this.options.onDown?.(errorText(e));
    });
    c.on('resume', (_code, sessionPresent) => {
      if (this.connection !== c) return;
      void this.afterConnect(c, sessionPresent);
    });
    try {
      this.connection = c;
      const sessionPresent = await c.connect();
      if (!current()) {
        await c.disconnect().catch(() => {});
        return true;
      }
      this.current = candidate.path;
      this.options.onPath?.(candidate.path, describeEndpoint(candidate.endpoint));
      await this.afterConnect(c, sessionPresent);
      return true;
    } catch {
      if (this.connection === c) this.connection = undefined;
      c.removeAllListeners();
      return false;
    }
  }

  private async afterConnect(c: mqtt.MqttClientConnection, sessionPresent: boolean): Promise<void> {
    if (!sessionPresent) {
      for (const [filter, { handler, paths }] of this.subscriptions) {
        if (this.onPath(paths)) await this.subscribeOne(c, filter, handler).catch(() => {});
      }
    }
    if (this.connection !== c || this.closed) return;
    this.up = true;
    this.options.onUp?.();
  }
}
