import { decide } from '../../lambda/provisioning-hook/handler';

const pattern = /^AIOT-[0-9A-F]{8}$/;
const event = (parameters: Record<string, string | undefined>) => ({ certificateId: 'c1', parameters });

describe('provisioning-hook', () => {
  it('when the serial is known and the site valid, allows provisioning', () => {
    expect(decide(event({ SerialNumber: 'AIOT-0000ABCD', Site: 'plant-a' }), pattern)).toEqual({
      allowProvisioning: true,
      reason: 'known serial',
    });
  });

  it.each([
    [{ Site: 'plant-a' }, 'no SerialNumber parameter'],
    [{ SerialNumber: 'ACME-1234', Site: 'plant-a' }, 'serial ACME-1234 is not a known serial'],
    [{ SerialNumber: 'AIOT-0000ABCD', Site: 'Plant A' }, 'site Plant A is not valid'],
    [{ SerialNumber: 'AIOT-0000ABCD' }, 'site (none) is not valid'],
  ])('when given %j, refuses with "%s"', (parameters, reason) => {
    expect(decide(event(parameters), pattern)).toEqual({ allowProvisioning: false, reason });
  });

  it('when the pattern admits a serial that is no valid device id, still refuses it', () => {
    expect(decide(event({ SerialNumber: 'AIOT 1/2', Site: 'plant-a' }), /^AIOT/)).toEqual({
      allowProvisioning: false,
      reason: 'serial AIOT 1/2 is not a valid device id',
    });
  });

  it('when a serial starts with the provisioning client id prefix, refuses it: a claim certificate could connect as that device', () => {
    expect(decide(event({ SerialNumber: 'aiot-provision-7', Site: 'plant-a' }), /.*/)).toEqual({
      allowProvisioning: false,
      reason: 'serial aiot-provision-7 starts with the provisioning client id prefix',
    });
  });
});
