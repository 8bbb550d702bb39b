import { CommandNameSchema } from '../../../core/commands';
import {
  commandFilter,
  commandResponseTopic,
  deviceTopicGrants,
  edgeCommandFilter,
  edgeCommandTopic,
  telemetryTopic,
} from '../../../core/topics';

/**
 * The Greengrass components that let devices at a site reach their core over MQTT with mutual
 * TLS, and their configuration: client device auth (which devices may connect and on which
 * topics), the Moquette MQTT 3.1.1 broker (port 8883, certificates issued by the core's local
 * CA, which discovery hands to devices), and the MQTT bridge (device telemetry to the edge
 * component and to IoT Core, the edge's and the cloud's commands down to the devices, the
 * devices' replies up). https://docs.aws.amazon.com/greengrass/v2/developerguide/client-device-components.html
 */
export const CLIENT_DEVICE_COMPONENTS = {
  auth: 'aws.greengrass.clientdevices.Auth',
  broker: 'aws.greengrass.clientdevices.mqtt.Moquette',
  bridge: 'aws.greengrass.clientdevices.mqtt.Bridge',
} as const;

/**
 * Versions deployed: Moquette 2.3.7 declares client device auth `>=2.2.0 <2.6.0`
 * (https://docs.aws.amazon.com/greengrass/v2/developerguide/mqtt-broker-moquette-component.html);
 * client device auth 2.5 resolves `${iot:Connection.Thing.ThingName}` in its policies.
 */
export const CLIENT_DEVICE_COMPONENT_VERSIONS: Record<keyof typeof CLIENT_DEVICE_COMPONENTS, string> = {
  auth: '2.5.0',
  broker: '2.3.7',
  bridge: '2.3.0',
};

/** Client device auth's thing-name policy variable. */
const THING = '${iot:Connection.Thing.ThingName}';

/**
 * Client device auth: every thing may try; each connects only with its thing name as client id,
 * publishes only its own telemetry and command replies at a listed site, and subscribes only to
 * its own commands and its site's edge commands. Client device auth takes no wildcard inside a topic resource
 * (https://docs.aws.amazon.com/greengrass/v2/developerguide/client-device-auth-component.html#client-device-auth-component-configuration),
 * so the site is listed, not matched.
 */
export function clientDeviceAuthConfig(sites: readonly string[]): Record<string, unknown> {
  const own = (grant: string, site: string) => grant.replace('+', site).replace('{deviceId}', THING);
  const publish = sites.flatMap((site) =>
    deviceTopicGrants.publish
      .filter((g) => g.endsWith('/telemetry') || g.endsWith('/res'))
      .flatMap((g) =>
        g.endsWith('/res')
          ? CommandNameSchema.options.map((c) => commandResponseTopic(site, THING, c))
          : [own(g, site)],
      ),
  );
  return {
    deviceGroups: {
      formatVersion: '2021-03-05',
      definitions: { aiotDevices: { selectionRule: 'thingName: *', policyName: 'aiotDevice' } },
      policies: {
        aiotDevice: {
          connect: { operations: ['mqtt:connect'], resources: [`mqtt:clientId:${THING}`] },
          publish: { operations: ['mqtt:publish'], resources: publish.map((t) => `mqtt:topic:${t}`) },
          subscribe: {
            operations: ['mqtt:subscribe'],
            resources: sites.flatMap((site) => [
              `mqtt:topicfilter:${commandFilter(site, THING)}`,
              `mqtt:topicfilter:${edgeCommandFilter(site)}`,
            ]),
          },
        },
      },
    },
  };
}

/**
 * The MQTT bridge's topic mappings. Telemetry goes to IoT Core on its plain topic, where the
 * telemetry rule reads it (`FROM 'dt/aiot/+/+/telemetry'`). The bridge takes `+` and `#` only in
 * a mapping whose source is the local MQTT broker or IoT Core, not local publish/subscribe
 * (https://docs.aws.amazon.com/greengrass/v2/developerguide/mqtt-bridge-component.html#mqtt-bridge-component-configuration),
 * so the edge component's commands travel on one literal topic per site (the device in the
 * payload) and each site gets its own mapping.
 */
export function bridgeConfig(sites: readonly string[], localCommand: string): Record<string, unknown> {
  const telemetry = telemetryTopic('+', '+');
  const edgeCommands = Object.fromEntries(
    sites.map((site) => [
      `edgeCommands-${site}`,
      { topic: edgeCommandTopic(site, localCommand), source: 'Pubsub', target: 'LocalMqtt' },
    ]),
  );
  return {
    mqttTopicMapping: {
      telemetryToEdge: { topic: telemetry, source: 'LocalMqtt', target: 'Pubsub' },
      telemetryToCloud: { topic: telemetry, source: 'LocalMqtt', target: 'IotCore' },
      ...edgeCommands,
      cloudCommands: { topic: commandFilter('+', '+'), source: 'IotCore', target: 'LocalMqtt' },
      replies: { topic: commandResponseTopic('+', '+', '+'), source: 'LocalMqtt', target: 'IotCore' },
    },
  };
}
