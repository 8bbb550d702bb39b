import { io, iot, mqtt } from 'aws-iot-device-sdk-v2';

/**
 * Where a device connects: AWS IoT Core with mutual TLS, or any MQTT 3.1.1 broker by URL
 * without TLS (a local broker, tests). The same client code serves both: the SDK connects
 * without TLS when it is given no TLS context.
 */
export type BrokerEndpoint =
  | { readonly kind: 'url'; readonly url: string }
  | {
      readonly kind: 'iot-core';
      /** The account's IoT data endpoint (`xxxx-ats.iot.<region>.amazonaws.com`). */
      readonly endpoint: string;
      readonly certPath: string;
      readonly keyPath: string;
      /** Amazon Root CA file; the system trust store when absent. */
      readonly caPath?: string;
      /** @default 8883 */
      readonly port?: number;
    };

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
  return e.kind === 'url' ? e.url : `mqtts://${e.endpoint}:${e.port ?? 8883}`;
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
}

/**
 * A new SDK MQTT 3.1.1 connection (not yet connected) to the endpoint: TLS-less for a broker URL,
 * mutual TLS for IoT Core.
 */
export function newConnection(
  endpoint: BrokerEndpoint,
  o: Pick<LinkOptions, 'clientId' | 'keepAliveS' | 'reconnectMinS' | 'reconnectMaxS'>,
): mqtt.MqttClientConnection {
  const client = new mqtt.MqttClient(sharedBootstrap());
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
  const builder = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(e.certPath, e.keyPath)
    .with_endpoint(e.endpoint)
    .with_port(e.port ?? 8883)
    .with_client_id(o.clientId)
    .with_clean_session(true)
    .with_keep_alive_seconds(o.keepAliveS ?? 30)
    .with_reconnect_min_sec(o.reconnectMinS ?? 1)
    .with_reconnect_max_sec(o.reconnectMaxS ?? 16)
    .with_timeout_ms(20_000);
  if (e.caPath) builder.with_certificate_authority_from_path(undefined, e.caPath);
  return client.new_connection(builder.build());
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
  private readonly subscriptions = new Map<string, MessageHandler>();
  private up = false;
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

  /** QoS 1 subscription, kept across reconnections. */
  async subscribe(filter: string, handler: MessageHandler): Promise<void> {
    this.subscriptions.set(filter, handler);
    if (this.connection && this.up) await this.subscribeOne(this.connection, filter, handler);
  }

  private async subscribeOne(c: mqtt.MqttClientConnection, filter: string, handler: MessageHandler) {
    const res = await c.subscribe(filter, mqtt.QoS.AtLeastOnce, (topic, payload) =>
      handler(topic, Buffer.from(payload)),
    );
    if (res.error_code) throw new Error(`subscription to ${filter} refused (code ${res.error_code})`);
  }

  private build(): mqtt.MqttClientConnection {
    return newConnection(this.endpoint, this.options);
  }

  private async connectLoop(epoch: number): Promise<void> {
    let delayMs = (this.options.reconnectMinS ?? 1) * 1000;
    const maxMs = (this.options.reconnectMaxS ?? 16) * 1000;
    const current = () => !this.closed && epoch === this.epoch;
    while (current()) {
      const c = this.build();
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
          return;
        }
        await this.afterConnect(c, sessionPresent);
        return;
      } catch {
        if (this.connection === c) this.connection = undefined;
        c.removeAllListeners();
        if (!current()) return;
        await new Promise((r) => setTimeout(r, delayMs));
        delayMs = Math.min(maxMs, delayMs * 2);
      }
    }
  }

  private async afterConnect(c: mqtt.MqttClientConnection, sessionPresent: boolean): Promise<void> {
    if (!sessionPresent) {
      for (const [filter, handler] of this.subscriptions) {
        await this.subscribeOne(c, filter, handler).catch(() => {});
      }
    }
    if (this.connection !== c || this.closed) return;
    this.up = true;
    this.options.onUp?.();
  }
}
