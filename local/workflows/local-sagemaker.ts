import { z } from 'zod';
import { createDetector, type DetectorState, restoreDetector } from '../../core/detector';
import { detectorScores, EvalManifestSchema, parseCsv } from '../../core/ml/evaluate';
import { TRAINING_MEASURES } from '../../core/ml/features';
import { type ObjectStore, parseS3Uri } from '../../core/ports';
import { transformOutputUri } from '../../core/workflows/retraining';

/**
 * SageMaker as the local runner plays it. There is no Random Cut Forest on a laptop, so the local
 * model is the project's own streaming detector: training runs it over each device's training
 * readings and keeps its learned state; a batch transform resumes that state and scores the
 * evaluation readings in time order. The numbers the evaluation compares are real scores of data.
 */

/** Written beside the training CSV locally: the device and time of each line. */
export const TrainManifestSchema = z.object({ rows: z.array(z.tuple([z.string(), z.number()])) });

const DetectorArtifactSchema = z.object({
  kind: z.literal('aiot-detector'),
  states: z.record(
    z.string(),
    z.custom<DetectorState>((v) => typeof v === 'object' && v !== null),
  ),
});
const LogisticArtifactSchema = z.object({
  kind: z.literal('aiot-logistic'),
  mean: z.array(z.number()),
  scale: z.array(z.number()),
  weights: z.array(z.number()),
  bias: z.number(),
});
const ModelArtifactSchema = z.discriminatedUnion('kind', [DetectorArtifactSchema, LogisticArtifactSchema]);
type LogisticModel = z.infer<typeof LogisticArtifactSchema>;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * The local stand-in for XGBoost's binary:logistic: a logistic regression on standardised
 * features, fitted by gradient descent with classes weighted to balance (failures are rare) and an
 * L2 penalty, so a few dozen windows do not teach it the noise.
 */
export function fitLogistic(
  rows: readonly (readonly number[])[],
  epochs = 1000,
  rate = 0.5,
  l2 = 0.5,
): LogisticModel {
  const labels = rows.map((r) => r[0]!);
  const xs = rows.map((r) => r.slice(1));
  const dim = xs[0]?.length ?? 0;
  const n = Math.max(1, xs.length);
  const mean = Array.from({ length: dim }, (_, j) => xs.reduce((a, x) => a + x[j]!, 0) / n);
  const scale = Array.from({ length: dim }, (_, j) => {
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x[j]! - mean[j]!) ** 2, 0) / n);
    return sd > 1e-12 ? sd : 1;
  });
  const zs = xs.map((x) => x.map((v, j) => (v - mean[j]!) / scale[j]!));
  const positives = labels.filter((l) => l === 1).length;
  const wPos = positives ? rows.length / (2 * positives) : 1;
  const wNeg = rows.length - positives ? rows.length / (2 * (rows.length - positives)) : 1;
  const weights = new Array<number>(dim).fill(0);
  let bias = 0;
  for (let e = 0; e < epochs; e++) {
    const grad = new Array<number>(dim).fill(0);
    let gBias = 0;
    zs.forEach((x, i) => {
      const p = sigmoid(bias + x.reduce((a, v, j) => a + v * weights[j]!, 0));
      const err = (p - labels[i]!) * (labels[i] === 1 ? wPos : wNeg);
      for (let j = 0; j < dim; j++) grad[j] = grad[j]! + err * x[j]!;
      gBias += err;
    });
    for (let j = 0; j < dim; j++) weights[j] = weights[j]! - rate * (grad[j]! / n + l2 * weights[j]!);
    bias -= (rate * gBias) / n;
  }
  return { kind: 'aiot-logistic', mean, scale, weights, bias };
}

export function predictLogistic(model: LogisticModel, x: readonly number[]): number {
  return sigmoid(
    model.bias + x.reduce((a, v, j) => a + ((v - model.mean[j]!) / model.scale[j]!) * model.weights[j]!, 0),
  );
}

export const trainManifestUri = (trainPrefix: string) => `${trainPrefix.replace(/\/?$/, '/')}manifest.json`;
export const trainDataUri = (trainPrefix: string) => `${trainPrefix.replace(/\/?$/, '/')}part-0.csv`;
const evalManifestUri = (evalDataUri: string) =>
  evalDataUri.replace(/\/eval\/data\.csv$/, '/eval-manifest.json');

export class LocalSageMaker {
  readonly models = new Map<string, string>();
  /** Models created with EnableNetworkIsolation. */
  readonly isolatedModels = new Set<string>();
  readonly endpointConfigs = new Map<string, string>();
  /** Endpoint configurations with a serverless variant. */
  readonly serverlessConfigs = new Set<string>();
  readonly endpoints = new Map<string, { config: string; model: string; updatedAt: number }>();
  readonly jobs: { kind: 'training' | 'transform'; name: string }[] = [];

  constructor(
    private readonly objects: ObjectStore,
    private readonly clock: () => number,
  ) {}

  async train(raw: unknown): Promise<unknown> {
    const p = z
      .looseObject({
        TrainingJobName: z.string(),
        InputDataConfig: z.array(
          z.looseObject({ DataSource: z.object({ S3DataSource: z.looseObject({ S3Uri: z.string() }) }) }),
        ),
        OutputDataConfig: z.looseObject({ S3OutputPath: z.string() }),
        AlgorithmSpecification: z.looseObject({ TrainingImage: z.string() }),
      })
      .parse(raw);
    const prefix = p.InputDataConfig[0]!.DataSource.S3DataSource.S3Uri;
    if (p.AlgorithmSpecification.TrainingImage.includes('xgboost')) {
      const rows = parseCsv((await this.objects.get(`${prefix.replace(/\/?$/, '/')}data.csv`)) ?? '');
      return this.saveArtifact(p.TrainingJobName, p.OutputDataConfig.S3OutputPath, fitLogistic(rows));
    }
    const manifest = TrainManifestSchema.parse(
      JSON.parse((await this.objects.get(trainManifestUri(prefix))) ?? '{}'),
    );
    const values = parseCsv((await this.objects.get(trainDataUri(prefix))) ?? '');
    if (values.length !== manifest.rows.length) throw new Error('training data and manifest disagree');
    const detectors = new Map<string, ReturnType<typeof createDetector>>();
    manifest.rows.forEach(([deviceId, time], i) => {
      let d = detectors.get(deviceId);
      if (!d) {
        d = createDetector();
        detectors.set(deviceId, d);
      }
      const reading: Record<string, number> = {};
      TRAINING_MEASURES.forEach((m, k) => {
        reading[m] = values[i]![k]!;
      });
      d.update(reading, time);
    });
    const artifact = {
      kind: 'aiot-detector' as const,
      states: Object.fromEntries([...detectors].map(([id, d]) => [id, d.snapshot()])),
    };
    return this.saveArtifact(p.TrainingJobName, p.OutputDataConfig.S3OutputPath, artifact);
  }

  private async saveArtifact(job: string, outputPath: string, artifact: unknown): Promise<unknown> {
    const uri = `${outputPath.replace(/\/?$/, '/')}${job}/output/model.json`;
    await this.objects.put(uri, JSON.stringify(artifact));
    this.jobs.push({ kind: 'training', name: job });
    return {
      TrainingJobName: job,
      TrainingJobStatus: 'Completed',
      ModelArtifacts: { S3ModelArtifacts: uri },
    };
  }

  async createModel(raw: unknown): Promise<unknown> {
    const p = z
      .looseObject({
        ModelName: z.string(),
        EnableNetworkIsolation: z.boolean().optional(),
        PrimaryContainer: z.looseObject({ ModelDataUrl: z.string() }),
      })
      .parse(raw);
    if (this.models.has(p.ModelName))
      throw named('SageMaker.AmazonSageMakerException', `model ${p.ModelName} exists`);
    this.models.set(p.ModelName, p.PrimaryContainer.ModelDataUrl);
    if (p.EnableNetworkIsolation) this.isolatedModels.add(p.ModelName);
    return { ModelArn: `arn:aws:sagemaker:local:0:model/${p.ModelName}` };
  }

  async transform(raw: unknown): Promise<unknown> {
    const p = z
      .looseObject({
        TransformJobName: z.string(),
        ModelName: z.string(),
        TransformInput: z.looseObject({
          DataSource: z.object({ S3DataSource: z.looseObject({ S3Uri: z.string() }) }),
        }),
        TransformOutput: z.looseObject({ S3OutputPath: z.string() }),
      })
      .parse(raw);
    const artifactUri = this.models.get(p.ModelName);
    if (!artifactUri) throw named('SageMaker.AmazonSageMakerException', `no model ${p.ModelName}`);
    const artifact = ModelArtifactSchema.parse(JSON.parse((await this.objects.get(artifactUri)) ?? 'null'));
    const input = p.TransformInput.DataSource.S3DataSource.S3Uri;
    if (artifact.kind === 'aiot-logistic') {
      const rows = parseCsv((await this.objects.get(input)) ?? '');
      await this.objects.put(
        transformOutputUri(p.TransformOutput.S3OutputPath, input),
        rows.map((x) => String(predictLogistic(artifact, x))).join('\n'),
      );
      this.jobs.push({ kind: 'transform', name: p.TransformJobName });
      return { TransformJobName: p.TransformJobName, TransformJobStatus: 'Completed' };
    }
    const manifest = EvalManifestSchema.parse(
      JSON.parse((await this.objects.get(evalManifestUri(input))) ?? 'null'),
    );
    const values = parseCsv((await this.objects.get(input)) ?? '');
    const scores = detectorScores({ manifest, values }, {}, (deviceId) => {
      const state = artifact.states[deviceId];
      return state ? restoreDetector(state) : undefined;
    });
    await this.objects.put(
      transformOutputUri(p.TransformOutput.S3OutputPath, input),
      scores.map((score) => JSON.stringify({ score })).join('\n'),
    );
    this.jobs.push({ kind: 'transform', name: p.TransformJobName });
    return { TransformJobName: p.TransformJobName, TransformJobStatus: 'Completed' };
  }

  async createEndpointConfig(raw: unknown): Promise<unknown> {
    const p = z
      .looseObject({
        EndpointConfigName: z.string(),
        ProductionVariants: z.array(
          z.looseObject({ ModelName: z.string(), ServerlessConfig: z.unknown().optional() }),
        ),
      })
      .parse(raw);
    const variant = p.ProductionVariants[0]!;
    const serverless = variant.ServerlessConfig !== undefined;
    // Serverless inference excludes network isolation (SageMaker's serverless exclusions).
    if (serverless && this.isolatedModels.has(variant.ModelName)) {
      throw named(
        'SageMaker.AmazonSageMakerException',
        `ValidationException: model ${variant.ModelName} has network isolation enabled, which serverless inference does not support`,
      );
    }
    this.endpointConfigs.set(p.EndpointConfigName, variant.ModelName);
    if (serverless) this.serverlessConfigs.add(p.EndpointConfigName);
    return {};
  }

  async createEndpoint(raw: unknown): Promise<unknown> {
    const p = z.looseObject({ EndpointName: z.string(), EndpointConfigName: z.string() }).parse(raw);
    if (this.endpoints.has(p.EndpointName)) {
      throw named(
        'SageMaker.AmazonSageMakerException',
        `Cannot create already existing endpoint ${p.EndpointName}`,
      );
    }
    return this.setEndpoint(p.EndpointName, p.EndpointConfigName);
  }

  async updateEndpoint(raw: unknown): Promise<unknown> {
    const p = z.looseObject({ EndpointName: z.string(), EndpointConfigName: z.string() }).parse(raw);
    const current = this.endpoints.get(p.EndpointName);
    if (!current) throw named('SageMaker.AmazonSageMakerException', 'no such endpoint');
    // An instance-backed endpoint cannot become serverless (and a serverless one that became
    // instance-backed cannot go back): SageMaker answers with a ValidationException.
    if (!this.serverlessConfigs.has(current.config) && this.serverlessConfigs.has(p.EndpointConfigName)) {
      throw named(
        'SageMaker.AmazonSageMakerException',
        `ValidationException: endpoint ${p.EndpointName} is instance-backed and cannot be updated to a serverless configuration`,
      );
    }
    return this.setEndpoint(p.EndpointName, p.EndpointConfigName);
  }

  async describeEndpoint(raw: unknown): Promise<unknown> {
    const p = z.looseObject({ EndpointName: z.string() }).parse(raw);
    const e = this.endpoints.get(p.EndpointName);
    if (!e) throw named('SageMaker.AmazonSageMakerException', `Could not find endpoint ${p.EndpointName}`);
    return { EndpointName: p.EndpointName, EndpointConfigName: e.config, EndpointStatus: 'InService' };
  }

  private setEndpoint(name: string, config: string) {
    const model = this.endpointConfigs.get(config);
    if (!model) throw named('SageMaker.AmazonSageMakerException', `no endpoint config ${config}`);
    this.endpoints.set(name, { config, model, updatedAt: this.clock() });
    return { EndpointArn: `arn:aws:sagemaker:local:0:endpoint/${name}` };
  }
}

/** An error whose name a workflow Catch can match (`SageMaker.…` as the service integration reports). */
function named(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** Object storage in memory, by URI. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, string>();
  async get(uri: string) {
    parseS3Uri(uri);
    return this.objects.get(uri);
  }
  async put(uri: string, body: string) {
    parseS3Uri(uri);
    this.objects.set(uri, body);
  }
}
