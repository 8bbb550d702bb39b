import { z } from 'zod';
import { EventRouterEnv } from './event-router/env';
import { InfluxDbTokenEnv } from './influxdb-token/env';
import { OperatorSyncEnv } from './operator-sync/env';
import { ProvisioningHookEnv } from './provisioning-hook/env';
import { QueryApiEnv } from './query-api/env';
import { StreamProcessorEnv } from './stream-processor/env';
import { ClassifyEnv } from './workflow-tasks/classify/env';
import { CommandAckEnv } from './workflow-tasks/command-ack/env';
import { CommandDeviceEnv } from './workflow-tasks/command-device/env';
import { EnrichEnv } from './workflow-tasks/enrich/env';
import { EvaluateModelEnv } from './workflow-tasks/evaluate-model/env';
import { ExportTrainingDataEnv } from './workflow-tasks/export-training-data/env';
import { PromoteModelEnv } from './workflow-tasks/promote-model/env';
import { StorePredictionsEnv } from './workflow-tasks/store-predictions/env';
import { UpdateEdgeEnv } from './workflow-tasks/update-edge/env';
import { WorkOrdersTaskEnv } from './workflow-tasks/work-orders/env';

/**
 * Every Lambda function of the project, by its folder under `lambda/`, with the environment its
 * `index.ts` reads. The stack builds functions from this table only (`ProjectFunction`), and
 * refuses at synth one whose environment lacks a variable its schema requires.
 */
export const FUNCTIONS = {
  'event-router': EventRouterEnv,
  'influxdb-token': InfluxDbTokenEnv,
  'operator-sync': OperatorSyncEnv,
  'provisioning-hook': ProvisioningHookEnv,
  'query-api': QueryApiEnv,
  'stream-processor': StreamProcessorEnv,
  'workflow-tasks/classify': ClassifyEnv,
  'workflow-tasks/command-ack': CommandAckEnv,
  'workflow-tasks/command-device': CommandDeviceEnv,
  'workflow-tasks/enrich': EnrichEnv,
  'workflow-tasks/evaluate-model': EvaluateModelEnv,
  'workflow-tasks/export-training-data': ExportTrainingDataEnv,
  'workflow-tasks/promote-model': PromoteModelEnv,
  'workflow-tasks/store-predictions': StorePredictionsEnv,
  'workflow-tasks/update-edge': UpdateEdgeEnv,
  'workflow-tasks/work-orders': WorkOrdersTaskEnv,
} as const satisfies Record<string, z.ZodObject | z.ZodDiscriminatedUnion<z.ZodObject[]>>;

export type FunctionEntry = keyof typeof FUNCTIONS;

/**
 * The variables a function's schema cannot do without (no default, not optional). A schema over
 * either hot-store backend asks for the variables of the backend `env.STORAGE_BACKEND` names
 * (only `STORAGE_BACKEND` itself when it is not set).
 */
export function requiredVariables(entry: FunctionEntry, env: Record<string, unknown> = {}): string[] {
  const schema: z.ZodType = FUNCTIONS[entry];
  let shape: Record<string, z.ZodType>;
  if (schema instanceof z.ZodDiscriminatedUnion) {
    const options = schema.options as z.ZodObject[];
    const chosen = options.find(
      (o) => (o.shape as Record<string, z.ZodType>).STORAGE_BACKEND?.safeParse(env.STORAGE_BACKEND).success,
    );
    if (!chosen) return ['STORAGE_BACKEND'];
    shape = chosen.shape as Record<string, z.ZodType>;
  } else {
    shape = (schema as z.ZodObject).shape as Record<string, z.ZodType>;
  }
  return Object.keys(shape).filter((k) => !shape[k]!.safeParse(undefined).success);
}
