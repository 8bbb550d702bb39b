import { greengrasscoreipc } from 'aws-iot-device-sdk-v2';
import type { EdgeTransport, Unsubscribe } from './transport';

const { model } = greengrasscoreipc;

/**
 * The transport on a Greengrass core: local publish/subscribe and IoT Core through Greengrass
 * IPC (the recipe's accessControl authorizes each topic). The nucleus spools IoT Core messages
 * while the core is offline; the component's outbox adds a bounded disk buffer behind it.
 */
export class IpcTransport implements EdgeTransport {
  private connected = false;

  private constructor(private readonly client: greengrasscoreipc.Client) {
    client.on('disconnection', () => {
      this.connected = false;
    });
  }

  /** Connects to the nucleus over its domain socket (the nucleus sets the environment for the component). */
  static async connect(): Promise<IpcTransport> {
    if (!process.env.AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT) {
      throw new Error(
        'not running as a Greengrass component (AWS_GG_NUCLEUS_DOMAIN_SOCKET_FILEPATH_FOR_COMPONENT is unset); ' +
          'off Greengrass, run the component over MQTT (MqttTransport)',
      );
    }
    const client = greengrasscoreipc.createClient();
    await client.connect();
    const t = new IpcTransport(client);
    t.connected = true;
    return t;
  }

  async subscribeLocal(
    filter: string,
    onMessage: (topic: string, payload: Buffer) => void,
  ): Promise<Unsubscribe> {
    const op = this.client.subscribeToTopic({
      topic: filter,
      receiveMode: model.ReceiveMode.RECEIVE_MESSAGES_FROM_OTHERS,
    });
    op.on('message', (m) => {
      const binary = m.binaryMessage;
      const json = m.jsonMessage;
      const topic = binary?.context?.topic ?? json?.context?.topic ?? filter;
      if (binary?.message !== undefined) onMessage(topic, Buffer.from(binary.message as ArrayBuffer));
      else if (json?.message !== undefined) onMessage(topic, Buffer.from(JSON.stringify(json.message)));
    });
    await op.activate();
    return () => op.close();
  }

  async publishLocal(topic: string, payload: string): Promise<void> {
    await this.client.publishToTopic({
      topic,
      publishMessage: { binaryMessage: { message: Buffer.from(payload) } },
    });
  }

  async publishCloud(topic: string, payload: string): Promise<void> {
    await this.client.publishToIoTCore({
      topicName: topic,
      qos: model.QOS.AT_LEAST_ONCE,
      payload: Buffer.from(payload),
    });
  }

  cloudReady(): boolean {
    return this.connected;
  }

  /** The component's whole configuration. */
  async getConfiguration(): Promise<unknown> {
    const res = await this.client.getConfiguration({ keyPath: [] });
    return res.value ?? {};
  }

  /** Calls `onChange` whenever a deployment changes the component's configuration. */
  async onConfigurationUpdate(onChange: () => void): Promise<void> {
    const op = this.client.subscribeToConfigurationUpdate({ keyPath: [] });
    op.on('message', () => onChange());
    await op.activate();
  }

  async close(): Promise<void> {
    this.connected = false;
    await this.client.close();
  }
}
