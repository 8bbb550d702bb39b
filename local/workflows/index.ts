import type { Database } from 'better-sqlite3';
import type { AnomalyEvent } from '../../core/events';
import { featureRows, TRAINING_MEASURES, toCsv } from '../../core/ml/features';
import { type PredictionEvent, windowFeatures } from '../../core/ml/predictive';
import type {
  DeviceDirectory,
  HistoryReader,
  ObjectStore,
  PredictionStore,
  TelemetryRecord,
  WorkOrderStore,
} from '../../core/ports';
import {
  type AckPolicy,
  type AckResult,
  AnomalyResponseInputSchema,
  anomalyResponseStart,
  ClassifyTaskSchema,
  classify,
  DEFAULT_ACK_POLICY,
  enrich,
  handleCommandResponse,
  runWorkOrderTask,
  safeModeCommand,
} from '../../core/workflows/anomaly-response';
import {
  type CurrentModel,
  CurrentModelSchema,
  EdgeThresholdsSchema,
  evaluateCandidate,
  exportTrainingData,
  labelledOrders,
  promoteModel,
  registryUri,
  storePredictions,
} from '../../core/workflows/retraining';
import { type LocalTask, type RunSummary, WorkflowEngine } from './engine';
import { LocalSageMaker, MemoryObjectStore, trainDataUri, trainManifestUri } from './local-sagemaker';
import { SqliteWorkOrderStore } from './sqlite-work-orders';

export type { RunSummary } from './engine';

/** What the local runtime hands in. */
export interface LocalWorkflowsOptions {
  /** The runtime's one SQLite database (work orders go to table `work_orders`). */
  readonly db: Database;
  /** Publishes to the broker (device commands). */
  readonly publish: (topic: string, payload: string) => Promise<void> | void;
  /** @default Date.now */
  readonly clock?: () => number;
  /** Recent readings for enrichment. @default no history */
  readonly history?: HistoryReader;
  /** Device metadata for enrichment. @default every device unknown */
  readonly devices?: DeviceDirectory;
  /** How long a critical anomaly waits for the device's acknowledgement. @default 10 polls of 30 s */
  readonly ackPolicy?: AckPolicy;
  /** Real milliseconds one acknowledgement poll lasts locally. @default ackPolicy.pollSeconds × 1000 */
  readonly ackPollMs?: number;
  /** Severity thresholds on the detector score. @default the detector's defaults */
  readonly thresholds?: { readonly warning: number; readonly critical: number };
  /** Width of the window duplicate anomalies are folded into. @default 15 minutes */
  readonly windowMs?: number;
  /** Readings of every device in a time range (the local time-series store), for retraining. @default none */
  readonly readings?: (sinceMs: number, untilMs: number) => Promise<readonly TelemetryRecord[]>;
  /** Days of history one retraining uses. @default 14 */
  readonly trainingWindowDays?: number;
  /** Where models, training data and the registry live. @default in memory */
  readonly objects?: ObjectStore;
  /** Applies new detector thresholds at the edge (the local Greengrass stand-in). @default recorded only */
  readonly pushThresholds?: (thresholds: { warning: number; critical: number }) => Promise<void> | void;
  /** Faults the fleet simulator injected (its ground truth), failure labels for the predictor. @default none */
  readonly groundTruth?: () => Promise<readonly { deviceId: string; startMs?: number }[]>;
  /** Where failure predictions go (the local events table). @default kept in memory only */
  readonly predictions?: PredictionStore;
}

/** A notification the workflows sent (SNS in AWS). */
export interface LocalNotification {
  readonly at: number;
  readonly subject: string;
  readonly message: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface StartResult {
  /** False when a run for the same device and window exists (Step Functions' ExecutionAlreadyExists). */
  readonly started: boolean;
  readonly run: RunSummary;
  /** Settles when the run ends. */
  readonly done: Promise<RunSummary>;
}

export interface LocalWorkflows {
  startAnomalyResponse(event: AnomalyEvent): StartResult;
  /** Retrains now (what the schedule does in AWS); `windowDays` overrides the configured window. */
  startRetraining(request?: { windowDays?: number }): StartResult;
  /** The model in service according to the registry, if any. */
  currentModel(): Promise<CurrentModel | undefined>;
  /** Thresholds pushed to the edge so far, oldest first. */
  edgeUpdates(): readonly { runId: string; thresholds: { warning: number; critical: number } }[];
  /** Failure predictions made so far, oldest first. */
  predictions(): readonly PredictionEvent[];
  readonly sagemaker: LocalSageMaker;
  /**
   * A device's answer to a safe-mode command, as the acknowledgement rule (`RULES.commandAck`)
   * delivers it, or as raw bytes: an `ok` acknowledges its order.
   */
  handleCommandResponse(topic: string, payload: unknown): Promise<AckResult>;
  readonly workOrders: WorkOrderStore;
  notifications(): readonly LocalNotification[];
  runs(): readonly RunSummary[];
  /** Called on every change of a run; returns the unsubscribe function. */
  onRun(listener: (run: RunSummary) => void): () => void;
  /** Resolves when every run started so far has ended. */
  idle(): Promise<void>;
}

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const localFunction = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:aiot-local-${name}`;
const SNS_PUBLISH = 'arn:aws:states:::sns:publish';

/** The placeholder values of the local runs: local function ARNs the runner routes to local code. */
export const LOCAL_SUBSTITUTIONS = {
  EnrichFunctionArn: localFunction('enrich'),
  ClassifyFunctionArn: localFunction('classify'),
  WorkOrdersFunctionArn: localFunction('work-orders'),
  CommandDeviceFunctionArn: localFunction('command-device'),
  AlertTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:aiot-local-alerts`,
  ExportFunctionArn: localFunction('export-training-data'),
  EvaluateFunctionArn: localFunction('evaluate-model'),
  PromoteFunctionArn: localFunction('promote-model'),
  UpdateEdgeFunctionArn: localFunction('update-edge'),
  StorePredictionsFunctionArn: localFunction('store-predictions'),
  XgbImage: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/local-xgboost:1`,
  RcfImage: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/local-detector:1`,
  SageMakerRoleArn: `arn:aws:iam::${ACCOUNT}:role/aiot-local-sagemaker`,
  KmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/00000000-0000-0000-0000-000000000000`,
  TrainingInstanceType: 'ml.m5.large',
  InferenceInstanceType: 'ml.m5.large',
  EndpointName: 'aiot-local-detector',
} as const;

const TRAINING_BUCKET = 'aiot-local-training';
const MODEL_BUCKET = 'aiot-local-models';
const SAGEMAKER = 'arn:aws:states:::sagemaker';

const NO_HISTORY: HistoryReader = { recent: async () => [] };
const NO_DEVICES: DeviceDirectory = { describe: async () => undefined };

/** The workflows of the local runtime: the same ASL files as in AWS, tasks run in-process. */
export function createLocalWorkflows(options: LocalWorkflowsOptions): LocalWorkflows {
  const clock = options.clock ?? Date.now;
  const store = new SqliteWorkOrderStore(options.db);
  const ackPolicy = options.ackPolicy ?? DEFAULT_ACK_POLICY;
  const sent: LocalNotification[] = [];
  const all: RunSummary[] = [];
  const byName = new Map<string, StartResult>();
  const pending = new Set<Promise<RunSummary>>();
  const listeners = new Set<(run: RunSummary) => void>();
  let seq = 0;

  const onChange = (run: RunSummary) => {
    for (const l of listeners) l(run);
  };
  const publishSns: LocalTask = async (input) => {
    const p = input as {
      Subject?: string;
      Message: string;
      MessageAttributes?: Record<string, { StringValue?: string }>;
    };
    sent.push({
      at: clock(),
      subject: p.Subject ?? '',
      message: p.Message,
      attributes: Object.fromEntries(
        Object.entries(p.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? '']),
      ),
    });
    return { MessageId: `local-${sent.length}` };
  };

  const anomalyResponse = new WorkflowEngine({
    workflow: 'anomaly-response',
    substitutions: LOCAL_SUBSTITUTIONS,
    clock,
    onChange,
    waitOverrides: { WaitForAck: options.ackPollMs ?? ackPolicy.pollSeconds * 1000 },
    retryOverrides: {
      Enrich: 10,
      Classify: 10,
      OpenWorkOrder: 10,
      CommandSafeMode: 10,
      CheckAck: 10,
      Escalate: 10,
    },
    resources: {
      [LOCAL_SUBSTITUTIONS.EnrichFunctionArn]: (input) =>
        enrich(AnomalyResponseInputSchema.parse(input), {
          history: options.history ?? NO_HISTORY,
          devices: options.devices ?? NO_DEVICES,
        }),
      [LOCAL_SUBSTITUTIONS.ClassifyFunctionArn]: async (raw) => {
        const { input, enrichment } = ClassifyTaskSchema.parse(raw);
        return classify(input, enrichment, options.thresholds);
      },
      [LOCAL_SUBSTITUTIONS.WorkOrdersFunctionArn]: (input) => runWorkOrderTask(input, store, clock),
      [LOCAL_SUBSTITUTIONS.CommandDeviceFunctionArn]: async (input) => {
        const { topic, command, payload } = safeModeCommand(input, clock());
        await options.publish(topic, payload);
        return { topic, commandId: command.commandId };
      },
      [SNS_PUBLISH]: publishSns,
    },
  });

  const objects = options.objects ?? new MemoryObjectStore();
  const sagemaker = new LocalSageMaker(objects, clock);
  const edge: { runId: string; thresholds: { warning: number; critical: number } }[] = [];
  const readings = options.readings ?? (async () => []);
  const predicted: PredictionEvent[] = [];
  const retraining = new WorkflowEngine({
    workflow: 'retraining',
    substitutions: LOCAL_SUBSTITUTIONS,
    clock,
    onChange,
    waitOverrides: { WaitForEndpoint: 1 },
    retryOverrides: Object.fromEntries(
      ['ExportTrainingData', 'Train', 'CreateModel', 'ScoreCandidate', 'ScoreCurrent', 'Evaluate'].map(
        (s) => [s, 10],
      ),
    ),
    resources: {
      [LOCAL_SUBSTITUTIONS.ExportFunctionArn]: (input) =>
        exportTrainingData(input, {
          objects,
          // Timestream UNLOAD in AWS; here the same feature rows, with their devices and times beside.
          unloadTraining: async (since, until, prefix) => {
            const rows = featureRows(await readings(since, until), TRAINING_MEASURES);
            await objects.put(trainDataUri(prefix), toCsv(rows));
            await objects.put(
              trainManifestUri(prefix),
              JSON.stringify({ rows: rows.map((r) => [r.deviceId, r.time]) }),
            );
            return rows.length;
          },
          readings,
          labelledOrders: (since, until) => labelledOrders(store, since, until),
          trainingBucket: TRAINING_BUCKET,
          modelBucket: MODEL_BUCKET,
          defaultWindowDays: options.trainingWindowDays ?? 14,
          inferenceMode: 'serverless',
          namePrefix: 'aiot-local',
          windows: async (since, until) => windowFeatures(await readings(since, until)),
          groundTruth: options.groundTruth ?? (async () => []),
        }),
      [LOCAL_SUBSTITUTIONS.StorePredictionsFunctionArn]: (input) =>
        storePredictions(input, {
          objects,
          predictions: {
            async putPredictions(events) {
              predicted.push(...events);
              await options.predictions?.putPredictions(events);
            },
          },
        }),
      [`${SAGEMAKER}:createTrainingJob.sync`]: (input) => sagemaker.train(input),
      [`${SAGEMAKER}:createModel`]: (input) => sagemaker.createModel(input),
      [`${SAGEMAKER}:createTransformJob.sync`]: (input) => sagemaker.transform(input),
      [`${SAGEMAKER}:createEndpointConfig`]: (input) => sagemaker.createEndpointConfig(input),
      [`${SAGEMAKER}:createEndpoint`]: (input) => sagemaker.createEndpoint(input),
      [`${SAGEMAKER}:updateEndpoint`]: (input) => sagemaker.updateEndpoint(input),
      'arn:aws:states:::aws-sdk:sagemaker:describeEndpoint': (input) => sagemaker.describeEndpoint(input),
      [LOCAL_SUBSTITUTIONS.EvaluateFunctionArn]: (input) => evaluateCandidate(input, { objects }),
      [LOCAL_SUBSTITUTIONS.PromoteFunctionArn]: (input) =>
        promoteModel(input, { objects, modelBucket: MODEL_BUCKET, clock }),
      [LOCAL_SUBSTITUTIONS.UpdateEdgeFunctionArn]: async (input) => {
        const { thresholds, runId } = EdgeThresholdsSchema.parse(input);
        await options.pushThresholds?.(thresholds);
        edge.push({ runId, thresholds });
        return { deployment: `local-${edge.length}` };
      },
      [SNS_PUBLISH]: publishSns,
    },
  });

  const track = (result: StartResult) => {
    all.push(result.run);
    pending.add(result.done);
    void result.done.finally(() => pending.delete(result.done));
    return result;
  };

  return {
    startAnomalyResponse(event) {
      const { name, input } = anomalyResponseStart(event, { windowMs: options.windowMs, ackPolicy });
      const existing = byName.get(name);
      if (existing) return { ...existing, started: false };
      const id = `local:anomaly-response:${name}:${++seq}`;
      const result = track({ started: true, ...anomalyResponse.start(id, name, input) });
      byName.set(name, result);
      return result;
    },
    startRetraining(request = {}) {
      const name = `retraining-${++seq}`;
      const input = { requestedAt: new Date(clock()).toISOString(), ...request };
      return track({ started: true, ...retraining.start(`local:retraining:${name}`, name, input) });
    },
    async currentModel() {
      const text = await objects.get(registryUri(MODEL_BUCKET));
      return text ? CurrentModelSchema.parse(JSON.parse(text)) : undefined;
    },
    edgeUpdates: () => edge,
    predictions: () => predicted,
    sagemaker,
    handleCommandResponse: (topic, payload) =>
      handleCommandResponse(
        topic,
        payload instanceof Uint8Array ? Buffer.from(payload).toString('utf8') : payload,
        store,
        clock,
      ),
    workOrders: store,
    notifications: () => sent,
    runs: () => all,
    onRun(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
