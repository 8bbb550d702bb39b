import { DescribeThingCommand, type IoTClient, ResourceNotFoundException } from '@aws-sdk/client-iot';
import type { DeviceDirectory } from '../../core/ports';

/** The DeviceDirectory port on the IoT registry: a thing's attributes (the thing name is the device id). */
export class IotDeviceDirectory implements DeviceDirectory {
  constructor(private readonly iot: IoTClient) {}

  /** An unknown thing is no error: the device is simply not described. */
  async describe(deviceId: string): Promise<Readonly<Record<string, string>> | undefined> {
    try {
      const res = await this.iot.send(new DescribeThingCommand({ thingName: deviceId }));
      return res.attributes ?? {};
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return undefined;
      throw err;
    }
  }
}
