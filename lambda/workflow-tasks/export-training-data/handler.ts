import type { WorkOrderReader } from '../../../core/ports';
import {
  type ExportDeps,
  exportTrainingData,
  groundTruthFrom,
  labelledOrders,
} from '../../../core/workflows/retraining';

/** What the export needs besides the work orders it reads labels from (see core's ExportDeps). */
export type ExportTrainingDataDeps = Omit<ExportDeps, 'labelledOrders' | 'groundTruth'> & {
  readonly orders: WorkOrderReader;
};

/** Task of the retraining workflow: the training rows, and the labelled evaluation set beside them. */
export function makeHandler(deps: ExportTrainingDataDeps) {
  return async (event: unknown) =>
    exportTrainingData(event, {
      ...deps,
      labelledOrders: (since, until) => labelledOrders(deps.orders, since, until),
      groundTruth: () => groundTruthFrom(deps.objects, deps.trainingBucket),
    });
}
