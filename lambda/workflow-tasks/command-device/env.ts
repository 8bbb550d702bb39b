import { z } from 'zod';

/** The command task needs no configuration: it finds the account's IoT data endpoint itself. */
export const CommandDeviceEnv = z.object({});
