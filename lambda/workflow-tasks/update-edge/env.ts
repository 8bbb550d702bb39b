import { z } from 'zod';

export const UpdateEdgeEnv = z.object({
  /** The thing group the edge deployment targets; none: no edge to update. */
  EDGE_TARGET_ARN: z.string().default(''),
  EDGE_COMPONENT: z.string().min(1),
  /** The SSM parameter the stack's deployment reads the thresholds from. */
  EDGE_THRESHOLDS_PARAMETER: z.string().default(''),
});
