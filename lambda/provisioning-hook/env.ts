import { z } from 'zod';

export const ProvisioningHookEnv = z.object({
  /** The serial numbers fleet provisioning accepts (a regular expression). */
  SERIAL_PATTERN: z.string().min(1),
});
