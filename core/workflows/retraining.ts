import { z } from 'zod';
import {
  buildEvalSet,
  calibrateThresholds,
  decide,
  EvalManifestSchema,
  type ModelMetrics,
  metrics,
  parseCsv,
} from '../ml/evaluate';
import { TRAINING_MEASURES, toCsv } from '../ml/features';
import {
  FEATURE_WINDOW_MS,
  failureMarks,
  PREDICTION_HORIZON_MS,
  PredictionEventSchema,
  predictiveDataset,
  toFeatureCsv,
  toXgboostCsv,
  type WindowFeatures,
} from '../ml/predictive';
import type { ObjectStore, PredictionStore, TelemetryRecord, WorkOrderReader } from '../ports';
import type { WorkOrder } from '../workorders';

/**
 * The domain of the retraining workflow (`lib/workflows/retraining.asl.json`): export, evaluate,
 * promote, push to the edge. The task Lambdas and the local runner call these with their adapters.
 */

/** Share of the window, at its end, held out for evaluation (models never train on it). */
export const EVAL_FRACTION = 0.3;

/** The model in service, as the registry object records it. */
export const CurrentModelSchema = z.strictObject({
  modelName: z.string().min(1),
  endpointName: z.string().min(1),
  endpointConfigName: z.string().min(1),
  modelArtifacts: z.string().min(1),
  deployedAt: z.number().int(),
  runId: z.string().min(1),
  metrics: z.record(z.string(), z.number()),
  thresholds: z.strictObject({ warning: z.number(), critical: z.number() }).optional(),
});
export type CurrentModel = z.infer<typeof CurrentModelSchema>;

/**
 * What starts a run: the schedule passes its scheduled time (`<aws.scheduler.scheduled-time>`),
 * an operator may pass a window; a run without `requestedAt` uses its start time.
 */
export const RetrainingRequestSchema = z
  .looseObject({
    windowDays: z.number().int().min(1).max(365).optional(),
    requestedAt: z.string().min(1).optional(),
  })
  .default({});

export interface ExportDeps {
  readonly objects: ObjectStore;
  /** Writes the training rows of [since, until) as CSV data files only under `prefix` and returns their count. */
  readonly unloadTraining: (sinceMs: number, untilMs: number, prefixUri: string) => Promise<number>;
  /** Readings of every device in [since, until) (the evaluation part). */
  readonly readings: (sinceMs: number, untilMs: number) => Promise<readonly TelemetryRecord[]>;
  /** Work orders opened in [since, until) that carry an operator's label. */
  readonly labelledOrders: (sinceMs: number, untilMs: number) => Promise<readonly WorkOrder[]>;
  readonly trainingBucket: string;
  readonly modelBucket: string;
  readonly defaultWindowDays: number;
  readonly inferenceMode: 'serverless' | 'instance';
  readonly namePrefix: string;
  /** Per-device feature windows in [since, until) for the failure predictor. */
  readonly windows: (sinceMs: number, untilMs: number) => Promise<readonly WindowFeatures[]>;
  /** Faults a fleet simulator injected (its ground truth), when any. */
  readonly groundTruth: () => Promise<readonly { deviceId: string; startMs?: number }[]>;
}

/** Work orders opened in [since, until) that carry an operator's label (confirmed or closed ones). */
export async function labelledOrders(
  orders: WorkOrderReader,
  since: number,
  until: number,
): Promise<WorkOrder[]> {
  const out: WorkOrder[] = [];
  for (const status of ['confirmed', 'closed'] as const) {
    let cursor: string | undefined;
    do {
      const page = await orders.list({ status, limit: 100, cursor });
      out.push(...page.items.filter((o) => o.label && o.window.start >= since && o.window.start < until));
      cursor = page.cursor;
    } while (cursor);
  }
  return out;
}

/**
 * Faults a fleet simulator injected, uploaded as `ground-truth/faults.json` in the training
 * bucket (the simulator's `--truth` file); none when absent.
 */
export async function groundTruthFrom(
  objects: ObjectStore,
  trainingBucket: string,
): Promise<{ deviceId: string; startMs?: number }[]> {
  const text = await objects.get(`s3://${trainingBucket}/ground-truth/faults.json`);
  if (!text) return [];
  return z
    .array(z.looseObject({ deviceId: z.string(), startMs: z.number().optional() }))
    .parse(JSON.parse(text));
}

export const registryUri = (modelBucket: string) => `s3://${modelBucket}/registry/current.json`;

/** 8 hex digits of FNV-1a: execution names are unique, their prefixes need not be. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** SageMaker names: ≤ 63 chars of [a-zA-Z0-9-]. */
function jobName(prefix: string, runId: string, what: string): string {
  return `${prefix}-${what}-${runId}`.replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 63);
}

export async function exportTrainingData(raw: unknown, deps: ExportDeps) {
  const input = z
    .object({
      startedAt: z.string().min(1),
      executionName: z.string().min(1),
      request: RetrainingRequestSchema,
    })
    .parse(raw);
  const requestedAt = input.request.requestedAt ?? input.startedAt;
  const until = Date.parse(requestedAt);
  if (Number.isNaN(until)) throw new Error(`requestedAt is not a time: ${requestedAt}`);
  const days = input.request.windowDays ?? deps.defaultWindowDays;
  const since = until - days * 86_400_000;
  const split = Math.round(until - (until - since) * EVAL_FRACTION);
  // Time-ordered and unique per execution, short enough for SageMaker names.
  const stamp = new Date(until)
    .toISOString()
    .replace(/[-:TZ.]/g, '')
    .slice(0, 14);
  const runId = `${stamp}-${shortHash(input.executionName)}`;
  const base = `s3://${deps.trainingBucket}/runs/${runId}`;

  // The training channel holds the CSV data files only: nothing else may sit under this prefix,
  // or the algorithm would read it as training rows.
  const trainS3Uri = `${base}/train/data/`;
  const trainRows = await deps.unloadTraining(since, split, trainS3Uri);
  const [records, orders, currentText] = await Promise.all([
    deps.readings(split, until),
    deps.labelledOrders(split, until),
    deps.objects.get(registryUri(deps.modelBucket)),
  ]);
  const set = buildEvalSet(records, orders, TRAINING_MEASURES);
  await deps.objects.put(`${base}/eval/data.csv`, toCsv(set.values.map((values) => ({ values }))));
  await deps.objects.put(`${base}/eval-manifest.json`, JSON.stringify(set.manifest));
  const current = currentText ? CurrentModelSchema.parse(JSON.parse(currentText)) : undefined;
  const predictor = await exportPredictorData(deps, base, runId, since, until);
  return {
    predictor,
    runId,
    trainRange: { since, until: split },
    evalRange: { since: split, until },
    trainRows,
    evalRows: set.values.length,
    labelled: set.manifest.windows.filter((w) => w.source !== 'quiet').length,
    featureDim: TRAINING_MEASURES.length,
    trainS3Uri,
    evalDataS3Uri: `${base}/eval/data.csv`,
    evalManifestS3Uri: `${base}/eval-manifest.json`,
    candidateScoresS3Uri: `${base}/scores/candidate/`,
    currentScoresS3Uri: `${base}/scores/current/`,
    modelOutputS3Uri: `s3://${deps.modelBucket}/models/`,
    inferenceMode: deps.inferenceMode,
    // SageMaker serverless inference excludes network isolation, and the model the endpoint
    // serves is this one: isolated only when it goes to an instance-backed endpoint.
    // https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html#serverless-endpoints-how-it-works-exclusions
    modelNetworkIsolation: deps.inferenceMode === 'instance',
    jobs: {
      training: jobName(deps.namePrefix, runId, 'rcf'),
      model: jobName(deps.namePrefix, runId, 'rcf'),
      transformCandidate: jobName(deps.namePrefix, runId, 'eval-new'),
      transformCurrent: jobName(deps.namePrefix, runId, 'eval-cur'),
      endpointConfig: jobName(deps.namePrefix, runId, 'rcf'),
    },
    ...(current ? { current } : {}),
  };
}
export type ExportResult = Awaited<ReturnType<typeof exportTrainingData>>;

/**
 * The failure predictor's data: labelled feature windows of the whole window (XGBoost CSV), and
 * each device's latest window to predict from, with a manifest saying whose it is.
 */
async function exportPredictorData(
  deps: ExportDeps,
  base: string,
  runId: string,
  since: number,
  until: number,
) {
  const [windows, orders, truth] = await Promise.all([
    deps.windows(since, until),
    deps.labelledOrders(since, until),
    deps.groundTruth(),
  ]);
  const rows = predictiveDataset(windows, failureMarks(orders, truth));
  const latest = new Map<string, WindowFeatures>();
  for (const w of windows) if ((latest.get(w.deviceId)?.start ?? -1) < w.start) latest.set(w.deviceId, w);
  const recent = [...latest.values()];
  const positives = rows.filter((r) => r.label === 1).length;
  await deps.objects.put(`${base}/predictor/train/data.csv`, toXgboostCsv(rows));
  await deps.objects.put(`${base}/predictor/recent/data.csv`, toFeatureCsv(recent));
  await deps.objects.put(
    `${base}/predictor-recent.json`,
    JSON.stringify(recent.map((w) => [w.deviceId, w.site, w.start + FEATURE_WINDOW_MS])),
  );
  return {
    rows: rows.length,
    positives,
    negatives: rows.length - positives,
    recent: recent.length,
    horizonMs: PREDICTION_HORIZON_MS,
    trainS3Uri: `${base}/predictor/train/`,
    recentS3Uri: `${base}/predictor/recent/data.csv`,
    recentManifestS3Uri: `${base}/predictor-recent.json`,
    outputS3Uri: `${base}/predictor/scores/`,
    jobs: {
      training: jobName(deps.namePrefix, runId, 'xgb'),
      model: jobName(deps.namePrefix, runId, 'xgb'),
      transform: jobName(deps.namePrefix, runId, 'predict'),
    },
  };
}

/** Turns the predictor's batch-transform output into prediction events and stores them. */
export async function storePredictions(
  raw: unknown,
  deps: { objects: ObjectStore; predictions: PredictionStore },
): Promise<{ stored: number; model: string }> {
  const { predictor } = z
    .object({
      predictor: z.looseObject({
        recentS3Uri: z.string(),
        recentManifestS3Uri: z.string(),
        outputS3Uri: z.string(),
        horizonMs: z.number().int().positive(),
        jobs: z.looseObject({ model: z.string() }),
      }),
    })
    .parse(raw);
  const manifest = z
    .array(z.tuple([z.string(), z.string(), z.number()]))
    .parse(JSON.parse((await deps.objects.get(predictor.recentManifestS3Uri)) ?? '[]'));
  const text =
    (await deps.objects.get(transformOutputUri(predictor.outputS3Uri, predictor.recentS3Uri))) ?? '';
  const probabilities = parseScores(text);
  if (probabilities.length !== manifest.length) {
    throw new Error(
      `predictor answered ${probabilities.length} probabilities for ${manifest.length} devices`,
    );
  }
  const events = manifest.map(([deviceId, site, ts], i) =>
    PredictionEventSchema.parse({
      schema: 'aiot.prediction/1',
      kind: 'prediction',
      deviceId,
      site,
      ts,
      probability: Math.min(1, Math.max(0, probabilities[i]!)),
      horizonMs: predictor.horizonMs,
      model: predictor.jobs.model,
    }),
  );
  await deps.predictions.putPredictions(events);
  return { stored: events.length, model: predictor.jobs.model };
}

/**
 * Reads a batch-transform output: one line per input row, RCF's `{"score": x}` (JSON lines) or
 * a bare number.
 */
export function parseScores(text: string): number[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const v: unknown = JSON.parse(l);
      const s = typeof v === 'number' ? v : (v as { score?: unknown }).score;
      if (typeof s !== 'number' || !Number.isFinite(s))
        throw new Error(`unreadable score line: ${l.slice(0, 80)}`);
      return s;
    });
}

/** Where a batch transform writes the output of one input file. */
export const transformOutputUri = (outputPrefix: string, inputUri: string) =>
  `${outputPrefix.replace(/\/?$/, '/')}${inputUri.split('/').pop()}.out`;

export async function evaluateCandidate(raw: unknown, deps: { objects: ObjectStore }) {
  const { export: exp } = z
    .object({
      export: z.looseObject({
        evalDataS3Uri: z.string(),
        evalManifestS3Uri: z.string(),
        candidateScoresS3Uri: z.string(),
        currentScoresS3Uri: z.string(),
        current: CurrentModelSchema.optional(),
      }),
    })
    .parse(raw);
  const read = async (uri: string) => {
    const text = await deps.objects.get(uri);
    if (text === undefined) throw new Error(`missing ${uri}`);
    return text;
  };
  const manifest = EvalManifestSchema.parse(JSON.parse(await read(exp.evalManifestS3Uri)));
  const values = parseCsv(await read(exp.evalDataS3Uri));
  const candidate = metrics(
    manifest,
    parseScores(await read(transformOutputUri(exp.candidateScoresS3Uri, exp.evalDataS3Uri))),
  );
  const current: ModelMetrics | undefined = exp.current
    ? metrics(
        manifest,
        parseScores(await read(transformOutputUri(exp.currentScoresS3Uri, exp.evalDataS3Uri))),
      )
    : undefined;
  const decision = decide(candidate, current);
  const thresholds = decision.deploy ? calibrateThresholds({ manifest, values }) : undefined;
  return {
    deploy: decision.deploy,
    reason: decision.reason,
    candidate,
    ...(current ? { current } : {}),
    ...(thresholds ? { thresholds } : {}),
  };
}
export type Evaluation = Awaited<ReturnType<typeof evaluateCandidate>>;

export async function promoteModel(
  raw: unknown,
  deps: { objects: ObjectStore; modelBucket: string; clock: () => number },
) {
  const input = z
    .object({
      export: z.looseObject({
        runId: z.string(),
        jobs: z.looseObject({ model: z.string(), endpointConfig: z.string() }),
      }),
      evaluation: z.looseObject({
        candidate: z.record(z.string(), z.number()),
        thresholds: z.object({ warning: z.number(), critical: z.number() }).optional(),
      }),
      modelArtifacts: z.string(),
      endpointName: z.string(),
    })
    .parse(raw);
  const current: CurrentModel = CurrentModelSchema.parse({
    modelName: input.export.jobs.model,
    endpointName: input.endpointName,
    endpointConfigName: input.export.jobs.endpointConfig,
    modelArtifacts: input.modelArtifacts,
    deployedAt: deps.clock(),
    runId: input.export.runId,
    metrics: input.evaluation.candidate,
    ...(input.evaluation.thresholds ? { thresholds: input.evaluation.thresholds } : {}),
  });
  await deps.objects.put(registryUri(deps.modelBucket), JSON.stringify(current));
  return { modelName: current.modelName, registry: registryUri(deps.modelBucket) };
}

export const EdgeThresholdsSchema = z.object({
  thresholds: z
    .object({ warning: z.number().min(0).max(1), critical: z.number().min(0).max(1) })
    .refine((t) => t.critical >= t.warning, 'critical must not be below warning'),
  runId: z.string().min(1),
});

/**
 * The edge component's configuration merge with new detector thresholds: everything else the
 * deployment merges stays; Greengrass merges it over the recipe defaults key by key.
 */
export function mergeEdgeThresholds(
  existingMerge: string | undefined,
  thresholds: { warning: number; critical: number },
): string {
  const base: Record<string, unknown> = existingMerge ? JSON.parse(existingMerge) : {};
  const detector = typeof base.detector === 'object' && base.detector !== null ? base.detector : {};
  return JSON.stringify({
    ...base,
    detector: { ...detector, severity: { warning: thresholds.warning, critical: thresholds.critical } },
  });
}
