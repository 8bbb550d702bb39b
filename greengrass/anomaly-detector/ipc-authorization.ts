import { topicMatches } from '../../core/topics';

/**
 * Greengrass IPC authorization as the nucleus applies it to a component's recipe
 * (`accessControl`), so the local runtime refuses what a real core refuses:
 * - local publish/subscribe (`aws.greengrass.ipc.pubsub`): a resource is a topic string or `*`;
 *   `*` matches any characters, and the MQTT wildcards `+` and `#` are not wildcards there
 *   (https://docs.aws.amazon.com/greengrass/v2/developerguide/ipc-publish-subscribe.html#ipc-publish-subscribe-authorization);
 *   a subscription's filter must equal a resource (or match its `*`);
 * - IoT Core MQTT (`aws.greengrass.ipc.mqttproxy`): resources may also use `+` and `#`, and a
 *   topic or filter they match is allowed
 *   (https://docs.aws.amazon.com/greengrass/v2/developerguide/ipc-iot-core-mqtt.html#ipc-iot-core-mqtt-authorization).
 */
export type IpcOperation =
  | 'aws.greengrass#PublishToTopic'
  | 'aws.greengrass#SubscribeToTopic'
  | 'aws.greengrass#PublishToIoTCore'
  | 'aws.greengrass#SubscribeToIoTCore';

const SERVICE: Record<IpcOperation, string> = {
  'aws.greengrass#PublishToTopic': 'aws.greengrass.ipc.pubsub',
  'aws.greengrass#SubscribeToTopic': 'aws.greengrass.ipc.pubsub',
  'aws.greengrass#PublishToIoTCore': 'aws.greengrass.ipc.mqttproxy',
  'aws.greengrass#SubscribeToIoTCore': 'aws.greengrass.ipc.mqttproxy',
};

interface Policy {
  readonly operations: readonly string[];
  readonly resources: readonly string[];
}

/** The recipe's `accessControl`: per IPC service, named policies. */
export type AccessControl = Readonly<Record<string, Readonly<Record<string, Policy>>>>;

/** `*` as any run of characters; everything else (`+` and `#` included) literally. */
function globMatches(resource: string, value: string): boolean {
  const pattern = resource
    .split('*')
    .map((part) => part.replace(/[.?^${}()|[\]\\+#/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`, 's').test(value);
}

export class IpcAuthorizer {
  constructor(private readonly accessControl: AccessControl) {}

  /** True when some policy of the operation's service grants it on `topic` (a topic, or a filter to subscribe with). */
  allows(operation: IpcOperation, topic: string): boolean {
    const service = SERVICE[operation];
    const mqttWildcards = service === 'aws.greengrass.ipc.mqttproxy';
    return Object.values(this.accessControl[service] ?? {}).some(
      (policy) =>
        (policy.operations.includes(operation) || policy.operations.includes('*')) &&
        policy.resources.some(
          (r) => globMatches(r, topic) || (mqttWildcards && /[+#]/.test(r) && topicMatches(r, topic)),
        ),
    );
  }
}
