import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import {
  createDetector,
  DEFAULT_DETECTOR_CONFIG,
  type Detector,
  type Severity,
  severityOf,
} from '../../core/detector';
import { type AnomalyEvent, EVENT_SCHEMA_VERSION } from '../../core/events';
import { featureRows, TRAINING_MEASURES, toCsv } from '../../core/ml/features';
import type { ObjectStore, TelemetryRecord } from '../../core/ports';
import { CurrentModelSchema, registryUri } from '../../core/workflows/retraining';

/** Which scorer produced a score: the SageMaker endpoint, or the in-process detector instead of it. */
export type ScorerKind = 'endpoint' | 'detector';

export interface ScoredReading {
  readonly record: TelemetryRecord;
  /** In [0, 1], graded with the detector thresholds whichever scorer produced it. */
  readonly score: number;
  readonly severity: Severity;
  readonly scorer: ScorerKind;
}

export interface ScoredBatch {
  readonly scores: readonly ScoredReading[];
  readonly scorer: ScorerKind;
  /** Why the detector scored instead of the endpoint. */
  readonly fallbackReason?: string;
}

/** The deployed model as the stream path needs it (from the retraining registry). */
export interface DeployedModel {
  readonly endpointName: string;
  /** The RCF score at which a reading counts as anomalous (the evaluation's best-F1 threshold). */
  readonly threshold: number;
}

export interface EndpointScorerOptions {
  readonly client: SageMakerRuntimeClient;
  /** The model in service, or undefined while none is deployed. */
  readonly model: () => Promise<DeployedModel | undefined>;
  /** Longest wait for the endpoint before the detector scores the batch. @default 800 */
  readonly timeoutMs?: number;
  /** After a failure the endpoint is left alone this long (a failing endpoint is not hammered). @default 60000 */
  readonly cooldownMs?: number;
  readonly clock?: () => number;
}

/**
 * Maps an RCF score (unbounded, larger is stranger) onto the detector's [0, 1] scale so one set of
 * thresholds grades both: the model's own threshold lands on 0.5 (the detector's warning), twice
 * it on 1.
 */
export function rcfToUnit(score: number, threshold: number): number {
  if (!(threshold > 0) || !Number.isFinite(score)) return 0;
  return Math.min(1, Math.max(0, score / (2 * threshold)));
}

/** RCF's JSON answer: `{"scores":[{"score":1.2},…]}`. */
export function parseRcfResponse(body: string, expected: number): number[] {
  const parsed = JSON.parse(body) as { scores?: { score?: unknown }[] };
  const scores = (parsed.scores ?? []).map((s) => s.score);
  if (
    scores.length !== expected ||
    !scores.every((s): s is number => typeof s === 'number' && Number.isFinite(s))
  ) {
    throw new Error(`endpoint answered ${scores.length} scores for ${expected} rows`);
  }
  return scores;
}

/**
 * Scores batches of readings through the SageMaker endpoint when one is deployed, and with the
 * in-process streaming detector when it is missing, slow or failing. Scoring never throws: a
 * stream batch is not retried because a model is unavailable. The detectors keep learning on every
 * batch, so they are warm when they are needed.
 */
export class EndpointScorer {
  private readonly detectors = new Map<string, Detector>();
  private unavailableUntil = 0;
  private readonly timeoutMs: number;
  private readonly cooldownMs: number;
  private readonly clock: () => number;

  constructor(private readonly options: EndpointScorerOptions) {
    this.timeoutMs = options.timeoutMs ?? 800;
    this.cooldownMs = options.cooldownMs ?? 60_000;
    this.clock = options.clock ?? Date.now;
  }

  async score(records: readonly TelemetryRecord[]): Promise<ScoredBatch> {
    const local = this.detect(records);
    let fallbackReason: string;
    try {
      const model = await this.options.model();
      if (!model) fallbackReason = 'no model deployed';
      else if (this.clock() < this.unavailableUntil) fallbackReason = 'endpoint cooling down after a failure';
      else {
        const remote = await this.invoke(model, records);
        if (remote) return { scores: remote, scorer: 'endpoint' };
        fallbackReason = 'readings lack the measures the model was trained on';
      }
    } catch (err) {
      this.unavailableUntil = this.clock() + this.cooldownMs;
      const e = err as Error;
      fallbackReason =
        e.name === 'AbortError' || e.name === 'TimeoutError'
          ? `endpoint slower than ${this.timeoutMs} ms`
          : `endpoint failed: ${e.name}: ${e.message}`;
    }
    return { scores: local, scorer: 'detector', fallbackReason };
  }

  private async invoke(
    model: DeployedModel,
    records: readonly TelemetryRecord[],
  ): Promise<ScoredReading[] | undefined> {
    const rows = featureRows(records, TRAINING_MEASURES);
    if (rows.length !== records.length) return undefined;
    const ordered = [...records].sort((a, b) => a.deviceId.localeCompare(b.deviceId) || a.time - b.time);
    // The abort cancels the request; the race also bounds time spent before the request is sent.
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        const e = new Error(`no answer within ${this.timeoutMs} ms`);
        e.name = 'TimeoutError';
        reject(e);
      }, this.timeoutMs);
    });
    const res = await Promise.race([
      this.options.client.send(
        new InvokeEndpointCommand({
          EndpointName: model.endpointName,
          ContentType: 'text/csv',
          Accept: 'application/json',
          Body: Buffer.from(toCsv(rows), 'utf8'),
        }),
        { abortSignal: abort.signal },
      ),
      timeout,
    ]).finally(() => clearTimeout(timer));
    const scores = parseRcfResponse(Buffer.from(res.Body ?? new Uint8Array()).toString('utf8'), rows.length);
    return ordered.map((record, i) => {
      const score = rcfToUnit(scores[i]!, model.threshold);
      return {
        record,
        score,
        severity: severityOf(score, DEFAULT_DETECTOR_CONFIG),
        scorer: 'endpoint' as const,
      };
    });
  }

  private detect(records: readonly TelemetryRecord[]): ScoredReading[] {
    return [...records]
      .sort((a, b) => a.deviceId.localeCompare(b.deviceId) || a.time - b.time)
      .map((record) => {
        let d = this.detectors.get(record.deviceId);
        if (!d) {
          d = createDetector();
          this.detectors.set(record.deviceId, d);
        }
        const score = d.update(record.measures, record.time);
        return { record, score, severity: severityOf(score, d.config), scorer: 'detector' as const };
      });
  }
}

/**
 * The deployed model from the retraining registry, re-read at most every `ttlMs`, so a new
 * deployment reaches running functions within minutes and a missing registry means "no model".
 */
export function registryModel(
  objects: ObjectStore,
  modelBucket: string,
  ttlMs = 5 * 60_000,
  clock: () => number = Date.now,
): () => Promise<DeployedModel | undefined> {
  let cached: { at: number; model: DeployedModel | undefined } | undefined;
  return async () => {
    if (cached && clock() - cached.at < ttlMs) return cached.model;
    const text = await objects.get(registryUri(modelBucket));
    const current = text ? CurrentModelSchema.parse(JSON.parse(text)) : undefined;
    const threshold = current?.metrics.threshold;
    const model =
      current && typeof threshold === 'number' && threshold > 0
        ? { endpointName: current.endpointName, threshold }
        : undefined;
    cached = { at: clock(), model };
    return model;
  };
}

/** One anomaly event per device and batch: its most anomalous reading at warning or above. */
export function toAnomalyEvents(batch: ScoredBatch): AnomalyEvent[] {
  const worst = new Map<string, ScoredReading>();
  for (const s of batch.scores) {
    if (s.severity === 'info') continue;
    const prev = worst.get(s.record.deviceId);
    if (!prev || s.score > prev.score) worst.set(s.record.deviceId, s);
  }
  return [...worst.values()].map((s) => ({
    schema: EVENT_SCHEMA_VERSION,
    kind: 'anomaly' as const,
    deviceId: s.record.deviceId,
    site: s.record.site,
    ts: s.record.time,
    score: s.score,
    severity: s.severity,
    measures: { ...s.record.measures },
    source: `cloud-${s.scorer}`,
  }));
}
