import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import mqtt from 'mqtt';
import { devicePublishAllowed, deviceSubscribeAllowed } from '../core/topics';

/** One MQTT message as the runtime sees it arrive. */
export interface InboundMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly clientId: string;
  /** Epoch ms when the broker took it. */
  readonly receivedAt: number;
}

/** A publish a client was refused, kept so the runtime can show and quarantine it. */
export interface RefusedPublish extends InboundMessage {
  readonly reason: string;
}

export interface MessageBus {
  /** The URL devices and tools connect to. */
  readonly url: string;
  /** Called for every message a client publishes (outside clients included). */
  onMessage(listener: (m: InboundMessage) => void): void;
  /** Called for every publish refused by the per-device topic rule. */
  onRefused(listener: (m: RefusedPublish) => void): void;
  /** Publishes on behalf of the platform (commands to devices). */
  publish(topic: string, payload: string | Buffer): Promise<void>;
  /**
   * Publishes for the gateway (the edge component, which the runtime hosts): subscribers get it,
   * and the listeners see it as a client publish of the gateway, as they would its own MQTT one.
   */
  publishAsGateway(topic: string, payload: string | Buffer): Promise<void>;
  /**
   * Publishes the broker has taken and not yet handed over: still being delivered to
   * subscribers or queued for it (0 for an external broker, whose queue is its own).
   */
  backlog(): number;
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  /** @default 1883 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  readonly clock?: () => number;
  /**
   * Flow control: asked before each client publish is taken; a promise holds that client's
   * publishes (and, through TCP, the client) until it settles. The runtime answers with one
   * while its pipeline is too far behind, so an overload slows the publishers instead of
   * queueing without bound.
   */
  readonly admit?: () => Promise<void> | undefined;
}

/** The client id the runtime's hosted edge component publishes under. */
export const GATEWAY_CLIENT_ID = 'aiot-edge';

/**
 * The embedded broker (aedes, MQTT 3.1.1) with the IoT policy's per-device rule: a client may
 * publish and subscribe only under the device id it connected with, exactly what
 * `${iot:Connection.Thing.ThingName}` allows in IoT Core. The gateway (the edge component the
 * runtime hosts, like a Greengrass core) publishes through {@link MessageBus.publishAsGateway}.
 */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions = {}): Promise<MessageBus> {
  const { Aedes } = require('aedes') as typeof import('aedes');
  const clock = opts.clock ?? Date.now;
  const host = opts.host ?? '127.0.0.1';
  const listeners: ((m: InboundMessage) => void)[] = [];
  const refusedListeners: ((m: RefusedPublish) => void)[] = [];

  const aedes = await Aedes.createBroker({
    maxClientsIdLength: 128,
    drainTimeout: 10_000,
    concurrency: 1000,
  });
  // A device publishes on a handful of topics, again and again: decide each (client, topic) once.
  const allowedTopics = new WeakMap<object, Map<string, boolean>>();
  const publishAllowed = (client: { id: string }, topic: string): boolean => {
    let decided = allowedTopics.get(client);
    if (!decided) {
      decided = new Map();
      allowedTopics.set(client, decided);
    }
    let allowed = decided.get(topic);
    if (allowed === undefined) {
      allowed = devicePublishAllowed(client.id, topic);
      if (decided.size < 64) decided.set(topic, allowed);
    }
    return allowed;
  };
  const decide = (client: { id: string }, topic: string, payload: Buffer | string): Error | null => {
    const reason = topic.startsWith('$SYS/')
      ? '$SYS/ topics are reserved for the broker'
      : !publishAllowed(client, topic)
        ? `client ${client.id} may not publish on ${topic} (a device publishes only under its own id)`
        : undefined;
    if (reason === undefined) return null;
    const refused: RefusedPublish = {
      topic,
      payload: Buffer.from(payload),
      clientId: client.id,
      receivedAt: clock(),
      reason,
    };
    for (const l of refusedListeners) l(refused);
    return new Error(reason);
  };
  aedes.authorizePublish = (client, packet, done) => {
    if (!client) return done(null);
    const gate = opts.admit?.();
    if (!gate) return done(decide(client, packet.topic, packet.payload));
    gate.then(
      () => done(decide(client, packet.topic, packet.payload)),
      () => done(decide(client, packet.topic, packet.payload)),
    );
  };
  aedes.authorizeSubscribe = (client, sub, done) => {
    if (!client || deviceSubscribeAllowed(client.id, sub.topic)) return done(null, sub);
    done(new Error(`client ${client.id} may not subscribe to ${sub.topic}`), null);
  };
  aedes.on('publish', (packet, client) => {
    if (!client) return;
    const m: InboundMessage = {
      topic: packet.topic,
      // The packet's payload is never reused by the broker (it slices fresh socket chunks): no copy.
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      clientId: client.id,
      receivedAt: clock(),
    };
    for (const l of listeners) l(m);
  });

  const publish = (topic: string, payload: string | Buffer) =>
    new Promise<void>((resolve, reject) =>
      aedes.publish(
        { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: false, dup: false },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  // The broker's internal emitter (MQEmitter): its queue and the deliveries under way.
  const emitter = (aedes as unknown as { mq: { length: number; current: number } }).mq;
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 1883, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 1883);

  return {
    url: `mqtt://${host}:${port}`,
    onMessage: (l) => void listeners.push(l),
    onRefused: (l) => void refusedListeners.push(l),
    publish,
    publishAsGateway: async (topic, payload) => {
      const m: InboundMessage = {
        topic,
        payload: Buffer.from(payload),
        clientId: GATEWAY_CLIENT_ID,
        receivedAt: clock(),
      };
      await publish(topic, m.payload);
      for (const l of listeners) l(m);
    },
    // aedes hands a publish to the listeners only once every subscriber has it (a slow one, such
    // as the edge, holds it up), so what is still in its emitter is in flight too.
    backlog: () => emitter.length + emitter.current,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * An external broker (mosquitto, another aedes, …) by URL: the runtime subscribes to every
 * topic (and to Basic Ingest topics, which `#` does not match) and publishes through it. The
 * per-device rule is then the broker's own configuration.
 */
export async function connectExternalBroker(
  url: string,
  clock: () => number = Date.now,
): Promise<MessageBus> {
  const listeners: ((m: InboundMessage) => void)[] = [];
  const client = mqtt.connect(url, {
    clientId: `aiot-runtime-${randomBytes(4).toString('hex')}`,
    reconnectPeriod: 1000,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync(['#', '$aws/rules/#'], { qos: 1 });
  client.on('message', (topic, payload) => {
    // The external broker does not tell who published; the topic's device stands in.
    const m: InboundMessage = {
      topic,
      payload,
      clientId: topic.split('/')[3] ?? 'unknown',
      receivedAt: clock(),
    };
    for (const l of listeners) l(m);
  });
  return {
    url,
    onMessage: (l) => void listeners.push(l),
    onRefused: () => {},
    backlog: () => 0,
    publish: async (topic, payload) => {
      await client.publishAsync(topic, payload, { qos: 1 });
    },
    // The broker sends it back through the runtime's subscription, where the listeners see it.
    publishAsGateway: async (topic, payload) => {
      await client.publishAsync(topic, payload, { qos: 1 });
    },
    close: async () => {
      await client.endAsync();
    },
  };
}
