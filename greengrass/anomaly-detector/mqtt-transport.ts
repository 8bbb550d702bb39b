import mqtt from 'mqtt';
import { type Handler, TopicHandlers } from './topic-handlers';
import type { EdgeTransport, Unsubscribe } from './transport';

export interface MqttTransportOptions {
  /** The local broker the sensors publish to (e.g. `mqtt://127.0.0.1:1883`). */
  readonly localUrl: string;
  /**
   * Where cloud-bound messages go; e.g. the same broker, where a local rules engine picks
   * them up.
   * @default localUrl
   */
  readonly cloudUrl?: string;
  /** @default 'aiot-edge' */
  readonly clientId?: string;
}

/** The transport over MQTT (MQTT.js): for running the component against a broker, off Greengrass. */
export class MqttTransport implements EdgeTransport {
  private readonly local: mqtt.MqttClient;
  private readonly cloud: mqtt.MqttClient;
  private readonly handlers = new TopicHandlers();

  private constructor(options: MqttTransportOptions) {
    const id = options.clientId ?? 'aiot-edge';
    this.local = mqtt.connect(options.localUrl, { clientId: `${id}-local`, reconnectPeriod: 500 });
    this.local.on('message', (topic, payload) => this.handlers.deliver(topic, payload));
    this.cloud =
      options.cloudUrl && options.cloudUrl !== options.localUrl
        ? mqtt.connect(options.cloudUrl, { clientId: `${id}-cloud`, reconnectPeriod: 500 })
        : this.local;
  }

  /** Connects (both sides when they differ) and resolves once connected. */
  static async connect(options: MqttTransportOptions): Promise<MqttTransport> {
    const t = new MqttTransport(options);
    const ready = (c: mqtt.MqttClient) =>
      c.connected ? Promise.resolve() : new Promise<void>((r) => c.once('connect', () => r()));
    await Promise.all([ready(t.local), ready(t.cloud)]);
    return t;
  }

  async subscribeLocal(filter: string, onMessage: Handler): Promise<Unsubscribe> {
    const entry = this.handlers.add(filter, onMessage);
    // MQTT.js restores its subscriptions after a reconnection. QoS 0: the session is clean, so a
    // broken connection loses what was in flight at QoS 1 as well; on a live one nothing is lost,
    // and the broker is spared an acknowledgement and a stored packet per message.
    await this.local.subscribeAsync(filter, { qos: 0 });
    return async () => {
      if (entry.remove().last) await this.local.unsubscribeAsync(filter);
    };
  }

  async publishLocal(topic: string, payload: string): Promise<void> {
    await this.local.publishAsync(topic, payload, { qos: 1 });
  }

  async publishCloud(topic: string, payload: string): Promise<void> {
    if (!this.cloud.connected) throw new Error('cloud broker not connected');
    await this.cloud.publishAsync(topic, payload, { qos: 1 });
  }

  cloudReady(): boolean {
    return this.cloud.connected;
  }

  async close(): Promise<void> {
    await this.local.endAsync();
    if (this.cloud !== this.local) await this.cloud.endAsync();
  }
}
