import { DescribeThingCommand, IoTClient, ResourceNotFoundException } from '@aws-sdk/client-iot';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { z } from 'zod';
import type { DeviceDirectory } from '../../../core/ports';
import { AnomalyResponseInputSchema, enrich } from '../../../core/workflows/anomaly-response';
import { loadEnv } from '../../shared/env';
import { TimestreamHistoryReader } from '../../shared/timestream-history';

const env = loadEnv(z.object({ TELEMETRY_DATABASE: z.string().min(1), TELEMETRY_TABLE: z.string().min(1) }));
const iot = new IoTClient({});

/** Thing attributes (the thing name is the device id); an unknown thing is no error. */
const devices: DeviceDirectory = {
  async describe(deviceId) {
    try {
      const res = await iot.send(new DescribeThingCommand({ thingName: deviceId }));
      return res.attributes ?? {};
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return undefined;
      throw err;
    }
  },
};
const history = new TimestreamHistoryReader(
  new TimestreamQueryClient({}),
  env.TELEMETRY_DATABASE,
  env.TELEMETRY_TABLE,
);

/** Task of the anomaly-response workflow: recent history and device metadata. */
export const handler = async (event: unknown) =>
  enrich(AnomalyResponseInputSchema.parse(event), { history, devices });
