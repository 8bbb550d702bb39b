import type { WindowFeatures } from '../../../core/ml/predictive';
import type { ObjectStore, TelemetryRecord, WorkOrderReader } from '../../../core/ports';
import { exportTrainingData, groundTruthFrom, labelledOrders } from '../../../core/workflows/retraining';

export interface ExportTrainingDataDeps {
  readonly objects: ObjectStore;
  readonly orders: WorkOrderReader;
  /** Writes the training rows of [since, until) as CSV under the prefix; returns their count. */
  readonly unloadTraining: (sinceMs: number, untilMs: number, prefixUri: string) => Promise<number>;
  /** Readings of every device in [since, until), for the evaluation part. */
  readonly readings: (sinceMs: number, untilMs: number) => Promise<readonly TelemetryRecord[]>;
  /** Per-device feature windows in [since, until), for the failure predictor. */
  readonly windows: (sinceMs: number, untilMs: number) => Promise<readonly WindowFeatures[]>;
  readonly trainingBucket: string;
  readonly modelBucket: string;
  readonly defaultWindowDays: number;
  readonly inferenceMode: 'serverless' | 'instance';
  readonly namePrefix: string;
}

/** Task of the retraining workflow: the training rows, and the labelled evaluation set beside them. */
export function makeHandler(deps: ExportTrainingDataDeps) {
  return async (event: unknown) =>
    exportTrainingData(event, {
      ...deps,
      labelledOrders: (since, until) => labelledOrders(deps.orders, since, until),
      groundTruth: () => groundTruthFrom(deps.objects, deps.trainingBucket),
    });
}
