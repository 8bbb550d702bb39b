/**
 * The edge component's port to the outside: local publish/subscribe (sensor topics, local
 * actuation) and the cloud (IoT Core). On a Greengrass core it is IPC; in the local runtime a
 * message port to the thread's host; in tests MQTT or a loopback. The component's logic is the
 * same code over each.
 */
export interface EdgeTransport {
  /** Subscribes to a local topic filter; resolves once the subscription is in place. */
  subscribeLocal(filter: string, onMessage: (topic: string, payload: Buffer) => void): Promise<Unsubscribe>;
  /** Publishes on the local bus (actuation to devices near the core). */
  publishLocal(topic: string, payload: string): Promise<void>;
  /** Publishes to IoT Core (QoS 1); rejects when it cannot, so the caller keeps the message. */
  publishCloud(topic: string, payload: string): Promise<void>;
  /** True when a cloud publish can be attempted now. */
  cloudReady(): boolean;
  close(): Promise<void>;
}

export type Unsubscribe = () => Promise<void>;
