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

/**
 * Where the broker hands what clients publish. A QoS 1 publish is acknowledged only once
 * {@link accept} has settled (the runtime writes it to its stream log first); a rejection refuses
 * it, and the client, which still has it, sends it again.
 */
export interface BusIntake {
  /** Flow control: asked before each client publish is taken; a promise holds that client's publishes until it settles. */
  admit?(): Promise<void> | undefined;
  /** A message a client published (or the gateway, see {@link MessageBus.publishAsGateway}). */
  accept(m: InboundMessage): Promise<void> | undefined;
  /** A publish refused by the per-device topic rule. */
  refused(m: RefusedPublish): void;
}

export interface MessageBus {
  /** The URL devices and tools connect to (once open). */
  readonly url: string;
  /** Starts taking clients' messages (listening, or subscribing to the external broker), into `intake`. */
  open(intake: BusIntake): Promise<void>;
  /** Publishes on behalf of the platform (commands to devices). */
  publish(topic: string, payload: string | Buffer): Promise<void>;
  /**
   * Publishes for the gateway (the edge component, which the runtime hosts): subscribers get it,
   * and the intake takes it as a client publish of the gateway, as it would its own MQTT one.
   */
  publishAsGateway(topic: string, payload: string | Buffer): Promise<void>;
  /** Resolves once every message the broker acknowledged before the call has reached the intake. */
  barrier(): Promise<void>;
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  /** @default 1883 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  readonly clock?: () => number;
}

/** The client id the runtime's hosted edge component publishes under. */
export const GATEWAY_CLIENT_ID = 'aiot-edge';

/**
 * The embedded broker (aedes, MQTT 3.1.1) with the IoT policy's per-device rule: a client may
 * publish and subscribe only under the device id it connected with, exactly what
 * `${iot:Connection.Thing.ThingName}` allows in IoT Core. The gateway (the edge component the
 * runtime hosts, like a Greengrass core) publishes through {@link MessageBus.publishAsGateway}.
 */
export async function embeddedBroker(opts: EmbeddedBrokerOptions = {}): Promise<MessageBus> {
  const { Aedes } = require('aedes') as typeof import('aedes');
  const clock = opts.clock ?? Date.now;
  const host = opts.host ?? '127.0.0.1';
  let intake: BusIntake | undefined;

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
  const refusal = (client: { id: string }, topic: string): string | undefined =>
    topic.startsWith('$SYS/')
      ? '$SYS/ topics are reserved for the broker'
      : !publishAllowed(client, topic)
        ? `client ${client.id} may not publish on ${topic} (a device publishes only under its own id)`
        : undefined;
  /** The per-device rule, then the intake: the publish is acknowledged once the intake has it. */
  const take = (
    client: { id: string },
    packet: { topic: string; payload: Buffer | string; qos: number },
    done: (error: Error | null) => void,
  ) => {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const reason = refusal(client, packet.topic);
    if (reason !== undefined) {
      intake?.refused({ topic: packet.topic, payload, clientId: client.id, receivedAt: clock(), reason });
      return done(new Error(reason));
    }
    // The packet's payload is never reused by the broker (it slices fresh socket chunks): no copy.
    const accepted = intake?.accept({
      topic: packet.topic,
      payload,
      clientId: client.id,
      receivedAt: clock(),
    });
    // QoS 0 is never acknowledged: nothing to wait for.
    if (!accepted || packet.qos === 0) {
      done(null);
      void accepted?.catch(() => {});
      return;
    }
    accepted.then(
      () => done(null),
      (e: unknown) => done(e instanceof Error ? e : new Error(String(e))),
    );
  };
  aedes.authorizePublish = (client, packet, done) => {
    if (!client) return done(null);
    const gate = intake?.admit?.();
    if (!gate) return take(client, packet, done);
    gate.then(
      () => take(client, packet, done),
      () => take(client, packet, done),
    );
  };
  aedes.authorizeSubscribe = (client, sub, done) => {
    // The local broker stands for IoT Core and a site's broker at once: a device may also take
    // its site's edge commands, as client device auth lets it on a core.
    if (!client || deviceSubscribeAllowed(client.id, sub.topic, true)) return done(null, sub);
    done(new Error(`client ${client.id} may not subscribe to ${sub.topic}`), null);
  };

  const publish = (topic: string, payload: string | Buffer) =>
    new Promise<void>((resolve, reject) =>
      aedes.publish(
        { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: false, dup: false },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  const server: Server = createServer(aedes.handle);
  let url = '';

  return {
    get url() {
      return url;
    },
    open: async (into) => {
      intake = into;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port ?? 1883, host, () => resolve());
      });
      const address = server.address();
      url = `mqtt://${host}:${typeof address === 'object' && address ? address.port : (opts.port ?? 1883)}`;
    },
    publish,
    publishAsGateway: async (topic, payload) => {
      const m: InboundMessage = {
        topic,
        payload: Buffer.from(payload),
        clientId: GATEWAY_CLIENT_ID,
        receivedAt: clock(),
      };
      const accepted = intake?.accept(m);
      await publish(topic, m.payload);
      await accepted;
    },
    // The intake sees every publish before the broker acknowledges it.
    barrier: async () => {},
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The external broker's topic the runtime sends itself barriers on (no rule takes it). */
const BARRIER_TOPIC = 'aiot-runtime/barrier';

/**
 * An external broker (mosquitto, another aedes, …) by URL: the runtime subscribes to every
 * topic (and to Basic Ingest topics, which `#` does not match) and publishes through it. The
 * per-device rule is then the broker's own configuration. The runtime's session outlives it
 * (a fixed client id, `clean: false`): what the broker acknowledged while the runtime was down
 * waits there, and the runtime acknowledges each message only once its intake has it.
 */
export function externalBroker(
  url: string,
  opts: { readonly clientId?: string; readonly clock?: () => number } = {},
): MessageBus {
  const clock = opts.clock ?? Date.now;
  let client: mqtt.MqttClient | undefined;
  let barriers = 0;
  const waiting = new Map<string, () => void>();
  const connected = () => {
    if (!client) throw new Error('the broker connection is not open');
    return client;
  };
  return {
    url,
    open: async (intake) => {
      const c = mqtt.connect(url, {
        clientId: opts.clientId ?? 'aiot-runtime',
        clean: false,
        reconnectPeriod: 1000,
      });
      client = c;
      // The next message is taken only once this one is in (the client reads its packets in order).
      c.handleMessage = (packet, callback) => {
        const topic = packet.topic;
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
        if (topic === BARRIER_TOPIC) {
          waiting.get(payload.toString())?.();
          return callback();
        }
        // The external broker does not tell who published; the topic's device stands in.
        const accepted = intake.accept({
          topic,
          payload,
          clientId: topic.split('/')[3] ?? 'unknown',
          receivedAt: clock(),
        });
        if (!accepted) return callback();
        accepted.then(
          () => callback(),
          (e: unknown) => {
            // Not acknowledged: a new connection makes the broker send it again (the session is kept).
            callback(e instanceof Error ? e : new Error(String(e)));
            c.stream.destroy();
          },
        );
      };
      await new Promise<void>((resolve, reject) => {
        c.once('connect', () => resolve());
        c.once('error', reject);
      });
      await c.subscribeAsync(['#', '$aws/rules/#'], { qos: 1 });
    },
    publish: async (topic, payload) => {
      await connected().publishAsync(topic, payload, { qos: 1 });
    },
    // The broker sends it back through the runtime's subscription, where the intake takes it.
    publishAsGateway: async (topic, payload) => {
      await connected().publishAsync(topic, payload, { qos: 1 });
    },
    // The broker keeps the order of what it sends one subscriber: once a barrier published now
    // comes back, everything it took before has come too.
    barrier: () =>
      new Promise<void>((resolve, reject) => {
        const id = String(++barriers);
        waiting.set(id, () => {
          waiting.delete(id);
          resolve();
        });
        connected()
          .publishAsync(BARRIER_TOPIC, id, { qos: 1 })
          .catch((e: unknown) => {
            waiting.delete(id);
            reject(e);
          });
      }),
    close: async () => {
      await client?.endAsync();
    },
  };
}
