import { DescribeEndpointCommand, IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { loadEnv } from '../../shared/env';
import { CommandDeviceEnv } from './env';
import { makeHandler } from './handler';

loadEnv(CommandDeviceEnv);

let client: Promise<IoTDataPlaneClient> | undefined;

/** The account's ATS data endpoint, looked up once per container. */
async function dataPlane(): Promise<IoTDataPlaneClient> {
  const res = await new IoTClient({}).send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
  if (!res.endpointAddress) throw new Error('IoT returned no data endpoint');
  return new IoTDataPlaneClient({ endpoint: `https://${res.endpointAddress}` });
}

export const handler = makeHandler({
  client: () => {
    client ??= dataPlane().catch((err: unknown) => {
      client = undefined;
      throw err;
    });
    return client;
  },
});
