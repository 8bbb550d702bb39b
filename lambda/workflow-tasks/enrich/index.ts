import { IoTClient } from '@aws-sdk/client-iot';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { loadEnv } from '../../shared/env';
import { IotDeviceDirectory } from '../../shared/iot-device-directory';
import { TimestreamHistoryReader } from '../../shared/timestream-history';
import { EnrichEnv } from './env';
import { makeHandler } from './handler';

const env = loadEnv(EnrichEnv);

export const handler = makeHandler({
  history: new TimestreamHistoryReader(
    new TimestreamQueryClient({}),
    env.TELEMETRY_DATABASE,
    env.TELEMETRY_TABLE,
  ),
  devices: new IotDeviceDirectory(new IoTClient({})),
});
