import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { z } from 'zod';
import {
  createDetector,
  DEFAULT_DETECTOR_CONFIG,
  type Detector,
  type DetectorState,
  restoreDetector,
  type Severity,
  severityOf,
} from '../../core/detector';
import {
  DEFAULT_EPISODE_POLICY,
  type EpisodePolicy,
  type EpisodeState,
  EpisodeStateSchema,
  stepEpisode,
} from '../../core/episodes';
import { type AnomalyEvent, EVENT_SCHEMA_VERSION } from '../../core/events';
import { featureRowsInOrder, TRAINING_MEASURES, toCsv } from '../../core/ml/features';
import type {
  DetectorStateStore,
  ObjectStore,
  RefusedDetectorState,
  SavedDetectorState,
  TelemetryRecord,
} from '../../core/ports';
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
  /** The batch's readings not scored before, in order of device, then time. */
  readonly scores: readonly ScoredReading[];
  readonly scorer: ScorerKind;
  /** Why the detector scored instead of the endpoint. */
  readonly fallbackReason?: string;
  /** What operators are told: one event per anomaly episode opened or escalated (core/episodes). */
  readonly anomalies: readonly AnomalyEvent[];
  /** Readings left out because they were scored before (a retried or replayed batch). */
  readonly alreadyScored: number;
  readonly states: StateActivity;
}

/** What the batch did with saved per-device state. */
export interface StateActivity {
  /** Devices whose saved state was read (first seen by this instance). */
  readonly loaded: number;
  /** Saved states that could not be used, and why: those devices started fresh. */
  readonly discarded: readonly { deviceId: string; reason: string }[];
  readonly saved: number;
  /** States the store refused (too large, invalid): kept in memory, not saved. */
  readonly refused: readonly RefusedDetectorState[];
  /** The save failed as a whole (store unreachable): it is tried again with the next batch. */
  readonly saveError?: string;
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
  /**
   * Where each device's scoring state (detector, open episode, last reading scored) survives
   * restarts. Without one it lives in this instance's memory only.
   */
  readonly states?: DetectorStateStore;
  /**
   * A device's state is saved at most this often, in reading time (and at once when its episode
   * opens, escalates or closes); 0 saves after every batch. @default 60000
   */
  readonly saveIntervalMs?: number;
  /** @default DEFAULT_EPISODE_POLICY */
  readonly episodes?: EpisodePolicy;
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

/** Format of the state this scorer saves per device (the store's `version`). */
export const SCORING_STATE_VERSION = 1;

/** The detector state format this build restores (a snapshot of another is refused, not misread). */
const DETECTOR_STATE_VERSION = createDetector().snapshot().version;

/**
 * What is saved per device. The detector snapshot is opaque here: only its `version` is read,
 * and the detector's own restore checks the rest.
 */
const ScoringStateSchema = z.strictObject({
  version: z.literal(SCORING_STATE_VERSION),
  /** Time of the newest reading scored: a reading at or before it is not scored again. */
  lastTime: z.number(),
  episode: EpisodeStateSchema.optional(),
  detector: z.looseObject({ version: z.number() }).optional(),
});
type ScoringState = z.infer<typeof ScoringStateSchema>;

/** A device as this instance knows it. */
interface DeviceScoring {
  /** Created when the detector first has to score the device (or restored from its saved state). */
  detector?: Detector;
  episode?: EpisodeState;
  lastTime: number;
  /** Reading time of the last save (-Infinity: never saved). */
  savedTime: number;
  /** Changed since the last save. */
  dirty: boolean;
  /** Must be saved with this batch (its episode changed). */
  urgent: boolean;
}

const byDeviceThenTime = (a: TelemetryRecord, b: TelemetryRecord) =>
  a.deviceId.localeCompare(b.deviceId) || a.time - b.time;

/**
 * Scores batches of readings through the SageMaker endpoint when one is deployed, and with the
 * in-process streaming detector when it is missing, slow or failing; turns the scores into
 * anomaly episodes (one event per episode opened or escalated); keeps each device's state in a
 * {@link DetectorStateStore} so a restart resumes instead of relearning.
 *
 * The endpoint is called once per batch. The detector runs only when the endpoint does not
 * answer: what keeps it warm is its saved state. Before the first model is deployed the detector
 * scores everything and its state is saved as it learns; after, a fallback resumes from the last
 * saved state, and the readings it did not see in between are a gap in time to it (no move is
 * counted across a gap), not a relearning. Running it on every batch as well would double the
 * scoring cost of every reading to keep a fallback a little fresher.
 *
 * Scoring a batch never fails because a model is unavailable (a stream batch is not retried for
 * that); it fails when saved state cannot be read, since scoring on without it would relearn and
 * then overwrite what was learned. A failed save is tried again with the next batch.
 */
export class EndpointScorer {
  private readonly devices = new Map<string, DeviceScoring>();
  private unavailableUntil = 0;
  private readonly timeoutMs: number;
  private readonly cooldownMs: number;
  private readonly saveIntervalMs: number;
  private readonly episodes: EpisodePolicy;
  private readonly clock: () => number;

  constructor(private readonly options: EndpointScorerOptions) {
    this.timeoutMs = options.timeoutMs ?? 800;
    this.cooldownMs = options.cooldownMs ?? 60_000;
    this.saveIntervalMs = options.saveIntervalMs ?? 60_000;
    this.episodes = options.episodes ?? DEFAULT_EPISODE_POLICY;
    this.clock = options.clock ?? Date.now;
  }

  async score(records: readonly TelemetryRecord[]): Promise<ScoredBatch> {
    const sorted = [...records].sort(byDeviceThenTime);
    const { loaded, discarded } = await this.load(sorted);

    // A reading at or before the newest one scored for its device was scored before.
    const fresh: TelemetryRecord[] = [];
    let newest = Number.NEGATIVE_INFINITY;
    let device: string | undefined;
    for (const r of sorted) {
      if (r.deviceId !== device) {
        device = r.deviceId;
        newest = this.devices.get(device)?.lastTime ?? Number.NEGATIVE_INFINITY;
      }
      if (r.time <= newest) continue;
      newest = r.time;
      fresh.push(r);
    }

    let scores: ScoredReading[] | undefined;
    let fallbackReason: string | undefined;
    if (fresh.length > 0) {
      try {
        const model = await this.options.model();
        if (!model) fallbackReason = 'no model deployed';
        else if (this.clock() < this.unavailableUntil)
          fallbackReason = 'endpoint cooling down after a failure';
        else {
          scores = await this.invoke(model, fresh);
          if (!scores) fallbackReason = 'readings lack the measures the model was trained on';
        }
      } catch (err) {
        this.unavailableUntil = this.clock() + this.cooldownMs;
        const e = err as Error;
        fallbackReason =
          e.name === 'AbortError' || e.name === 'TimeoutError'
            ? `endpoint slower than ${this.timeoutMs} ms`
            : `endpoint failed: ${e.name}: ${e.message}`;
      }
    }
    const scorer: ScorerKind = scores ? 'endpoint' : 'detector';
    scores ??= this.detect(fresh);

    const anomalies = this.track(scores);
    const saving = await this.save([...new Set(fresh.map((r) => r.deviceId))], false);
    return {
      scores,
      scorer,
      ...(fallbackReason && scorer === 'detector' && { fallbackReason }),
      anomalies,
      alreadyScored: sorted.length - fresh.length,
      states: { loaded, discarded, ...saving },
    };
  }

  /** Saves every device whose state changed since its last save (a clean stop). */
  async flush(): Promise<Pick<StateActivity, 'saved' | 'refused' | 'saveError'>> {
    return this.save([...this.devices.keys()], true);
  }

  /** Reads the saved state of the batch's devices this instance does not know yet. */
  private async load(
    sorted: readonly TelemetryRecord[],
  ): Promise<Pick<StateActivity, 'loaded' | 'discarded'>> {
    const unknown = [...new Set(sorted.map((r) => r.deviceId))].filter((d) => !this.devices.has(d));
    const discarded: { deviceId: string; reason: string }[] = [];
    if (unknown.length === 0) return { loaded: 0, discarded };
    const saved = this.options.states ? await this.options.states.getMany(unknown) : new Map();
    for (const deviceId of unknown) {
      const entry: DeviceScoring = {
        lastTime: Number.NEGATIVE_INFINITY,
        savedTime: Number.NEGATIVE_INFINITY,
        dirty: false,
        urgent: false,
      };
      const s = saved.get(deviceId) as SavedDetectorState | undefined;
      if (s) {
        const why = restoreInto(entry, s.state);
        if (why) discarded.push({ deviceId, reason: why });
      }
      this.devices.set(deviceId, entry);
    }
    return { loaded: saved.size, discarded };
  }

  private async save(
    deviceIds: readonly string[],
    all: boolean,
  ): Promise<Pick<StateActivity, 'saved' | 'refused' | 'saveError'>> {
    const store = this.options.states;
    if (!store) return { saved: 0, refused: [] };
    const due: [string, DeviceScoring][] = [];
    for (const deviceId of deviceIds) {
      const d = this.devices.get(deviceId);
      if (!d?.dirty) continue;
      if (all || d.urgent || d.lastTime - d.savedTime >= this.saveIntervalMs) due.push([deviceId, d]);
    }
    if (due.length === 0) return { saved: 0, refused: [] };
    const savedAt = this.clock();
    try {
      const result = await store.putMany(
        due.map(([deviceId, d]) => ({ deviceId, savedAt, state: stateOf(d) })),
      );
      const refused = new Set(result.refused.map((r) => r.deviceId));
      for (const [deviceId, d] of due) {
        // A refused state stays as it is in memory; it is not offered again until it changes.
        d.dirty = false;
        d.urgent = false;
        if (!refused.has(deviceId)) d.savedTime = d.lastTime;
      }
      return { saved: result.saved, refused: result.refused };
    } catch (e) {
      return { saved: 0, refused: [], saveError: `${(e as Error).name}: ${(e as Error).message}` };
    }
  }

  /** Episodes from the scores, in reading order per device; marks the devices scored. */
  private track(scores: readonly ScoredReading[]): AnomalyEvent[] {
    const events: AnomalyEvent[] = [];
    for (const s of scores) {
      const d = this.devices.get(s.record.deviceId)!;
      const { state, step, closed } = stepEpisode(
        d.episode,
        { ts: s.record.time, score: s.score, severity: s.severity },
        this.episodes,
      );
      d.episode = state;
      d.lastTime = s.record.time;
      d.dirty = true;
      if (closed || step.kind !== 'none') d.urgent = true;
      if (step.kind === 'none') continue;
      events.push({
        schema: EVENT_SCHEMA_VERSION,
        kind: 'anomaly',
        deviceId: s.record.deviceId,
        site: s.record.site,
        ts: s.record.time,
        score: s.score,
        severity: s.severity,
        measures: { ...s.record.measures },
        source: `cloud-${s.scorer}`,
        episodeStart: step.episode.startedAt,
      });
    }
    return events;
  }

  private async invoke(
    model: DeployedModel,
    sorted: readonly TelemetryRecord[],
  ): Promise<ScoredReading[] | undefined> {
    const rows = featureRowsInOrder(sorted, TRAINING_MEASURES);
    if (rows.length !== sorted.length) return undefined;
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
    return sorted.map((record, i) => {
      const score = rcfToUnit(scores[i]!, model.threshold);
      return {
        record,
        score,
        severity: severityOf(score, DEFAULT_DETECTOR_CONFIG),
        scorer: 'endpoint' as const,
      };
    });
  }

  private detect(sorted: readonly TelemetryRecord[]): ScoredReading[] {
    return sorted.map((record) => {
      const d = this.devices.get(record.deviceId)!;
      d.detector ??= createDetector();
      const score = d.detector.update(record.measures, record.time);
      return { record, score, severity: severityOf(score, d.detector.config), scorer: 'detector' as const };
    });
  }
}

/** The state saved for a device. */
function stateOf(d: DeviceScoring): ScoringState {
  return {
    version: SCORING_STATE_VERSION,
    lastTime: d.lastTime,
    ...(d.episode && { episode: d.episode }),
    ...(d.detector && { detector: d.detector.snapshot() as unknown as ScoringState['detector'] }),
  };
}

/**
 * Restores a saved state into a device's entry after checking its shape and versions; returns why
 * it (or its detector part) was not used, in which case that part starts fresh.
 */
function restoreInto(entry: DeviceScoring, raw: unknown): string | undefined {
  const parsed = ScoringStateSchema.safeParse(raw);
  if (!parsed.success) {
    const v = (raw as { version?: unknown } | null)?.version;
    return v !== SCORING_STATE_VERSION
      ? `saved state of version ${String(v)}; this scorer reads version ${SCORING_STATE_VERSION}`
      : `saved state malformed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
  }
  const s = parsed.data;
  entry.lastTime = s.lastTime;
  entry.savedTime = s.lastTime;
  entry.episode = s.episode;
  if (!s.detector) return undefined;
  if (s.detector.version !== DETECTOR_STATE_VERSION) {
    return `saved detector state of version ${s.detector.version}; this detector reads version ${DETECTOR_STATE_VERSION}: it relearns`;
  }
  try {
    entry.detector = restoreDetector(s.detector as unknown as DetectorState);
  } catch (e) {
    return `saved detector state refused (${(e as Error).message}): it relearns`;
  }
  return undefined;
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
