import { type ExportDeps, exportTrainingData } from '../../../core/workflows/retraining';

describe('exportTrainingData', () => {
  it('when it exports, the training channel is a data/ prefix the UNLOAD writes alone; the evaluation files and manifests sit elsewhere', async () => {
    const unloads: string[] = [];
    const puts: string[] = [];
    const deps: ExportDeps = {
      objects: { get: async () => undefined, put: async (uri) => void puts.push(uri) },
      unloadTraining: async (_since, _until, prefix) => {
        unloads.push(prefix);
        return 1234;
      },
      readings: async () => [],
      labelledOrders: async () => [],
      windows: async () => [],
      groundTruth: async () => [],
      trainingBucket: 'train-bucket',
      modelBucket: 'model-bucket',
      defaultWindowDays: 14,
      inferenceMode: 'serverless',
      namePrefix: 'aiot-test',
    };
    const out = await exportTrainingData(
      { startedAt: '2026-11-24T12:00:00Z', executionName: 'run-1', request: {} },
      deps,
    );
    expect(unloads).toEqual([out.trainS3Uri]);
    expect(out.trainS3Uri).toMatch(/^s3:\/\/train-bucket\/runs\/[^/]+\/train\/data\/$/);
    expect(out.trainRows).toBe(1234);
    // Nothing else the export writes lands under the training channel.
    expect(puts.length).toBeGreaterThan(0);
    for (const uri of puts) expect(uri.startsWith(out.trainS3Uri)).toBe(false);
  });
});
