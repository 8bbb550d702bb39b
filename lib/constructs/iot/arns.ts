import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** IoT ARNs built from the stack's partition, region and account. */
export const iotArn = (scope: Construct, resource: string, name: string): string =>
  Stack.of(scope).formatArn({ service: 'iot', resource, resourceName: name });

export const topicArn = (scope: Construct, topic: string) => iotArn(scope, 'topic', topic);
export const topicFilterArn = (scope: Construct, filter: string) => iotArn(scope, 'topicfilter', filter);
export const clientArn = (scope: Construct, clientId: string) => iotArn(scope, 'client', clientId);
export const thingArn = (scope: Construct, thingName: string) => iotArn(scope, 'thing', thingName);

/** Policy variables a device's IoT policy is written with. */
export const THING_NAME = '${iot:Connection.Thing.ThingName}';
export const THING_SITE = '${iot:Connection.Thing.Attributes[site]}';

/**
 * Renders one of the topic grants of `core/topics` for an IoT policy: the device id becomes its
 * thing name, the site its `site` attribute, and the command level a policy wildcard.
 */
export function renderGrant(grant: string): string {
  const parts = grant.split('/');
  return parts
    .map((p, i) => {
      if (p === '{deviceId}') return THING_NAME;
      if (p === '+' && i === 2) return THING_SITE;
      if (p === '+') return '*';
      return p;
    })
    .join('/');
}

/**
 * Folds rendered grants that differ only in their last level into one with `*` there
 * (`…/telemetry`, `…/events`, `…/aggregates` → `…/*`): an IoT policy document is limited in
 * length, and every resource costs a full ARN. `*` in an IoT policy also matches further levels,
 * which stay within the same device's own topic space.
 */
export function compactGrants(grants: readonly string[]): string[] {
  const byParent = new Map<string, string[]>();
  for (const g of grants) {
    const parent = g.slice(0, g.lastIndexOf('/'));
    byParent.set(parent, [...(byParent.get(parent) ?? []), g]);
  }
  return [...byParent].map(([parent, members]) => (members.length > 1 ? `${parent}/*` : members[0]!));
}
