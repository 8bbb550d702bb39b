import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { createClaim, describeDevice, listFleet, registerFleetCommands } from '../../../device/registry';

const iot = mockClient(IoTClient);

describe('fleet registry', () => {
  let out: string;
  beforeEach(() => {
    iot.reset();
    out = mkdtempSync(join(tmpdir(), 'aiot-claim-'));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  const certificate = {
    certificateArn: 'arn:aws:iot:eu-west-1:123456789012:cert/abc',
    certificateId: 'abc',
    certificatePem: '-----BEGIN CERTIFICATE-----\nclaim\n-----END CERTIFICATE-----\n',
    keyPair: {
      PrivateKey: '-----BEGIN RSA PRIVATE KEY-----\nk\n-----END RSA PRIVATE KEY-----\n',
      PublicKey: 'p',
    },
  };

  it('when onboarding, the claim certificate gets the stage claim policy and its key is written owner-only', async () => {
    iot.on(CreateKeysAndCertificateCommand).resolves(certificate);
    iot.on(AttachPolicyCommand).resolves({});
    iot.on(DescribeEndpointCommand).resolves({ endpointAddress: 'xyz-ats.iot.eu-west-1.amazonaws.com' });

    const bundle = await createClaim(new IoTClient({}), { stage: 'prod', outDir: out });

    expect(iot).toHaveReceivedCommandWith(CreateKeysAndCertificateCommand, { setAsActive: true });
    expect(iot).toHaveReceivedCommandWith(AttachPolicyCommand, {
      policyName: 'aiot-prod-claim',
      target: certificate.certificateArn,
    });
    expect(iot).toHaveReceivedCommandWith(DescribeEndpointCommand, { endpointType: 'iot:Data-ATS' });
    expect(statSync(bundle.files.privateKey).mode & 0o777).toBe(0o600);
    expect(readFileSync(bundle.files.certificate, 'utf8')).toBe(certificate.certificatePem);
    expect(JSON.parse(readFileSync(bundle.files.config, 'utf8'))).toEqual({
      endpoint: 'xyz-ats.iot.eu-west-1.amazonaws.com',
      templateName: 'aiot-prod-fleet',
      stage: 'prod',
      claimCertPath: 'claim.cert.pem',
      claimKeyPath: 'claim.private.key',
    });
  });

  it('when the claim policy is missing (stack not deployed), the error says so and the new certificate is removed', async () => {
    iot.on(CreateKeysAndCertificateCommand).resolves(certificate);
    iot.on(AttachPolicyCommand).rejects(new Error('Policy not found'));
    iot.on(UpdateCertificateCommand).resolves({});
    iot.on(DeleteCertificateCommand).resolves({});
    await expect(createClaim(new IoTClient({}), { stage: 'dev', outDir: out })).rejects.toThrow(
      'could not attach aiot-dev-claim to the new claim certificate (abc): Policy not found. Is the stack for stage "dev" deployed',
    );
    expect(iot).toHaveReceivedCommandWith(UpdateCertificateCommand, {
      certificateId: 'abc',
      newStatus: 'INACTIVE',
    });
    expect(iot).toHaveReceivedCommandWith(DeleteCertificateCommand, { certificateId: 'abc' });
  });

  it('when listing, every page of the fleet group is read and each thing described', async () => {
    iot
      .on(ListThingsInThingGroupCommand, { thingGroupName: 'aiot-dev-fleet', nextToken: undefined })
      .resolves({ things: ['AIOT-00000001'], nextToken: 'p2' })
      .on(ListThingsInThingGroupCommand, { thingGroupName: 'aiot-dev-fleet', nextToken: 'p2' })
      .resolves({ things: ['AIOT-00000002'] });
    iot.on(DescribeThingCommand).callsFake((input: { thingName: string }) => ({
      thingName: input.thingName,
      thingTypeName: 'aiot-dev-sensor',
      attributes: { site: input.thingName.endsWith('1') ? 'plant-1' : 'plant-2' },
    }));

    const devices = await listFleet(new IoTClient({}), 'dev');
    expect(devices.map((d) => [d.thingName, d.site])).toEqual([
      ['AIOT-00000001', 'plant-1'],
      ['AIOT-00000002', 'plant-2'],
    ]);
  });

  it('when describing a device, its certificates are listed', async () => {
    iot
      .on(DescribeThingCommand)
      .resolves({ thingName: 'AIOT-00000001', thingArn: 'arn:t', attributes: { site: 's' } });
    iot.on(ListThingPrincipalsCommand).resolves({ principals: ['arn:aws:iot:eu-west-1:1:cert/x'] });
    expect(await describeDevice(new IoTClient({}), 'AIOT-00000001')).toMatchObject({
      thingArn: 'arn:t',
      certificates: ['arn:aws:iot:eu-west-1:1:cert/x'],
    });
  });

  it('when the fleet commands are registered, each has help', () => {
    const program = new Command();
    registerFleetCommands(program, () => new IoTClient({}));
    const fleet = program.commands.find((c) => c.name() === 'fleet')!;
    expect(fleet.commands.map((c) => c.name())).toEqual(['onboard', 'list', 'describe']);
    expect(fleet.commands.find((c) => c.name() === 'onboard')!.helpInformation()).toContain('--out <dir>');
  });
});
