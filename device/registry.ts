import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  AttachPolicyCommand,
  CreateKeysAndCertificateCommand,
  DeleteCertificateCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  IoTClient,
  ListThingPrincipalsCommand,
  ListThingsInThingGroupCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import type { Command } from 'commander';

/** The names the stack gives the fleet's IoT resources (lib/constructs/iot). */
export const fleetNames = (stage: string) => ({
  claimPolicy: `aiot-${stage}-claim`,
  thingGroup: `aiot-${stage}-fleet`,
  template: `aiot-${stage}-fleet`,
});

export interface ClaimBundle {
  readonly certificateArn: string;
  readonly certificateId: string;
  readonly endpoint: string;
  readonly files: { readonly certificate: string; readonly privateKey: string; readonly config: string };
}

type Progress = (message: string) => void;

/**
 * Onboards a fleet: creates a claim certificate, attaches the claim policy (which allows only
 * fleet provisioning with the stack's template) and writes what goes into the factory image —
 * the claim certificate, its private key (owner-only) and a provisioning config.
 */
export async function createClaim(
  iot: IoTClient,
  opts: { stage: string; outDir: string },
  progress: Progress = () => {},
): Promise<ClaimBundle> {
  const names = fleetNames(opts.stage);
  progress('creating the claim certificate');
  const cert = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  if (!cert.certificateArn || !cert.certificatePem || !cert.keyPair?.PrivateKey || !cert.certificateId) {
    throw new Error('IoT returned an incomplete certificate (no ARN, PEM or private key)');
  }
  progress(`attaching policy ${names.claimPolicy}`);
  try {
    await iot.send(new AttachPolicyCommand({ policyName: names.claimPolicy, target: cert.certificateArn }));
  } catch (e) {
    // A claim certificate without its policy is useless; leave no active orphan behind.
    progress(`removing certificate ${cert.certificateId}`);
    try {
      await iot.send(
        new UpdateCertificateCommand({ certificateId: cert.certificateId, newStatus: 'INACTIVE' }),
      );
      await iot.send(new DeleteCertificateCommand({ certificateId: cert.certificateId }));
    } catch {
      progress(`could not remove certificate ${cert.certificateId}; deactivate it by hand`);
    }
    throw new Error(
      `could not attach ${names.claimPolicy} to the new claim certificate (${cert.certificateId}): ${(e as Error).message}. ` +
        `Is the stack for stage "${opts.stage}" deployed in this account and region?`,
    );
  }
  progress('looking up the IoT data endpoint');
  const endpoint = await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
  if (!endpoint.endpointAddress) throw new Error('IoT returned no data endpoint');

  const dir = resolve(opts.outDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = {
    certificate: join(dir, 'claim.cert.pem'),
    privateKey: join(dir, 'claim.private.key'),
    config: join(dir, 'provisioning.json'),
  };
  writeFileSync(files.certificate, cert.certificatePem, { mode: 0o644 });
  writeFileSync(files.privateKey, cert.keyPair.PrivateKey, { mode: 0o600 });
  chmodSync(files.privateKey, 0o600);
  writeFileSync(
    files.config,
    `${JSON.stringify(
      {
        endpoint: endpoint.endpointAddress,
        templateName: names.template,
        stage: opts.stage,
        claimCertPath: 'claim.cert.pem',
        claimKeyPath: 'claim.private.key',
      },
      null,
      2,
    )}\n`,
  );
  return {
    certificateArn: cert.certificateArn,
    certificateId: cert.certificateId,
    endpoint: endpoint.endpointAddress,
    files,
  };
}

export interface FleetDevice {
  readonly thingName: string;
  readonly site?: string;
  readonly thingType?: string;
  readonly attributes: Record<string, string>;
}

/** Lists the things of the fleet's thing group, with their attributes. */
export async function listFleet(
  iot: IoTClient,
  stage: string,
  progress: Progress = () => {},
): Promise<FleetDevice[]> {
  const group = fleetNames(stage).thingGroup;
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await iot.send(
      new ListThingsInThingGroupCommand({ thingGroupName: group, nextToken, maxResults: 250 }),
    );
    names.push(...(page.things ?? []));
    nextToken = page.nextToken;
    progress(`${names.length} things in ${group}`);
  } while (nextToken);
  const devices: FleetDevice[] = [];
  for (const thingName of names) {
    const t = await iot.send(new DescribeThingCommand({ thingName }));
    devices.push({
      thingName,
      site: t.attributes?.site,
      thingType: t.thingTypeName,
      attributes: t.attributes ?? {},
    });
  }
  return devices;
}

/** One device of the fleet in detail: thing, attributes and the certificates attached to it. */
export async function describeDevice(iot: IoTClient, thingName: string) {
  const thing = await iot.send(new DescribeThingCommand({ thingName }));
  const principals = await iot.send(new ListThingPrincipalsCommand({ thingName }));
  return {
    thingName,
    thingArn: thing.thingArn,
    thingType: thing.thingTypeName,
    attributes: thing.attributes ?? {},
    version: thing.version,
    certificates: principals.principals ?? [],
  };
}

/** `aiot fleet …`: onboarding and registry lookups against the account of the current AWS credentials. */
export function registerFleetCommands(
  program: Command,
  client: () => IoTClient = () => new IoTClient({}),
): void {
  const fleet = program
    .command('fleet')
    .description(
      'fleet registry in AWS IoT Core: onboard a fleet (claim certificate), list and describe devices',
    );
  const progress: Progress = (m) => process.stderr.write(`… ${m}\n`);

  fleet
    .command('onboard')
    .description(
      'create a claim certificate with the claim policy aiot-<stage>-claim and write it, its key and a provisioning config',
    )
    .option('--stage <stage>', 'deployment stage', 'dev')
    .requiredOption(
      '--out <dir>',
      'directory for claim.cert.pem, claim.private.key (0600) and provisioning.json',
    )
    .action(async (opts) => {
      const bundle = await createClaim(client(), { stage: opts.stage, outDir: opts.out }, progress);
      process.stdout.write(
        `claim certificate ${bundle.certificateId}\n  endpoint ${bundle.endpoint}\n` +
          `  wrote ${bundle.files.certificate}\n  wrote ${bundle.files.privateKey} (owner-only)\n  wrote ${bundle.files.config}\n` +
          'next: on each device, `aiot device provision --claim-dir <dir> --serial <serial> --site <site>`\n',
      );
    });

  fleet
    .command('list')
    .description('list the devices of the thing group aiot-<stage>-fleet')
    .option('--stage <stage>', 'deployment stage', 'dev')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const devices = await listFleet(client(), opts.stage, progress);
      if (opts.json) process.stdout.write(`${JSON.stringify(devices, null, 2)}\n`);
      else {
        for (const d of devices)
          process.stdout.write(`${d.thingName}\t${d.site ?? '-'}\t${d.thingType ?? '-'}\n`);
        process.stdout.write(`${devices.length} devices\n`);
      }
    });

  fleet
    .command('describe')
    .description('show one device: thing type, attributes, attached certificates')
    .argument('<thing>', 'thing name (the device id)')
    .action(async (thing: string) => {
      process.stdout.write(`${JSON.stringify(await describeDevice(client(), thing), null, 2)}\n`);
    });
}
