import { IoTClient } from '@aws-sdk/client-iot';
import { loadEnv } from '../../shared/env';
import { historyReader } from '../../shared/hot-store';
import { IotDeviceDirectory } from '../../shared/iot-device-directory';
import { EnrichEnv } from './env';
import { makeHandler } from './handler';

const env = loadEnv(EnrichEnv);

export const handler = makeHandler({
  history: historyReader(env),
  devices: new IotDeviceDirectory(new IoTClient({})),
});
