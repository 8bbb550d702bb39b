/**
 * Anomaly episodes: what an operator is told about. A detector scores every reading, and a fault
 * lasting minutes gives hundreds of readings at or above warning; an operator wants one event for
 * it (one work order, one workflow run, one local action), told again only when it gets worse.
 *
 * Per device, an episode opens on the first reading graded warning or above, is escalated (not
 * duplicated) when a later reading is graded more severe than any before it in the episode, and
 * closes once `quietMs` of reading time has passed without a reading at warning or above. Times
 * are the readings' own (epoch ms), so a replay or a backlog drained late groups as it happened.
 * A reading scored while the detector learns scores 0, grades `info` and never opens one.
 *
 * Pure: the edge component, the cloud stream path and the local runtime use this one module.
 */
import { z } from 'zod';
import type { Clock } from './clock';
import { type Severity, SeveritySchema, severityRank } from './severity';

export interface EpisodePolicy {
  /**
   * An episode closes after this long (reading time) without a reading at warning or above; the
   * next such reading opens a new one. @default 300000 (5 minutes)
   */
  readonly quietMs: number;
}

export const DEFAULT_EPISODE_POLICY: EpisodePolicy = Object.freeze({ quietMs: 5 * 60_000 });

/** A device's open episode: JSON-safe, so it is saved and restored with the detector state. */
export const EpisodeStateSchema = z.strictObject({
  /** Time of the reading that opened the episode: with the device, its identity. */
  startedAt: z.number(),
  /** Time of the latest reading at warning or above. */
  lastAnomalyAt: z.number(),
  /** The most severe grade so far (never `info`). */
  severity: SeveritySchema.exclude(['info']),
  /** The highest score so far. */
  peakScore: z.number().min(0).max(1),
});
export type EpisodeState = z.infer<typeof EpisodeStateSchema>;

/** What one reading did to its device's episode. */
export type EpisodeStep =
  /** Nothing to tell: an `info` reading, or one inside an open episode that does not make it worse. */
  | { readonly kind: 'none' }
  /** A new episode: tell the operator (one event, one workflow run). */
  | { readonly kind: 'opened'; readonly episode: EpisodeState }
  /** The open episode got more severe: tell again, as the same episode. */
  | { readonly kind: 'escalated'; readonly episode: EpisodeState; readonly from: Severity };

export interface EpisodeReading {
  /** Epoch ms of the reading. */
  readonly ts: number;
  readonly score: number;
  readonly severity: Severity;
}

/**
 * One reading through a device's episode: the episode after it (undefined when none is open),
 * what to tell, and the episode the reading's quiet gap closed, if any.
 */
export function stepEpisode(
  current: EpisodeState | undefined,
  reading: EpisodeReading,
  policy: EpisodePolicy = DEFAULT_EPISODE_POLICY,
): { state: EpisodeState | undefined; step: EpisodeStep; closed?: EpisodeState } {
  let state = current;
  let closed: EpisodeState | undefined;
  if (state && reading.ts - state.lastAnomalyAt >= policy.quietMs) {
    closed = state;
    state = undefined;
  }
  const rank = severityRank(reading.severity);
  if (rank === 0) return { state, step: { kind: 'none' }, closed };
  const severity = reading.severity as EpisodeState['severity'];
  if (!state) {
    const opened: EpisodeState = {
      startedAt: reading.ts,
      lastAnomalyAt: reading.ts,
      severity,
      peakScore: reading.score,
    };
    return { state: opened, step: { kind: 'opened', episode: opened }, closed };
  }
  // A late reading (older than the latest anomaly) belongs to the episode and does not stretch it.
  const next: EpisodeState = {
    ...state,
    lastAnomalyAt: Math.max(state.lastAnomalyAt, reading.ts),
    peakScore: Math.max(state.peakScore, reading.score),
    severity: rank > severityRank(state.severity) ? severity : state.severity,
  };
  if (next.severity !== state.severity) {
    return { state: next, step: { kind: 'escalated', episode: next, from: state.severity }, closed };
  }
  return { state: next, step: { kind: 'none' }, closed };
}

/** Whether an anomaly event opens its episode (an event outside any episode counts as one). */
export function opensEpisode(event: { readonly ts: number; readonly episodeStart?: number }): boolean {
  return event.episodeStart === undefined || event.episodeStart === event.ts;
}

/**
 * Whether an anomaly event escalates its episode to critical. Events are told only when an
 * episode opens or gets worse, so a later event of an episode graded critical is its escalation.
 */
export function escalatesToCritical(event: {
  readonly ts: number;
  readonly episodeStart?: number;
  readonly severity: Severity;
}): boolean {
  return !opensEpisode(event) && event.severity === 'critical';
}

/**
 * Whether an anomaly event starts the response workflow: the one that opens its episode, and the
 * one that escalates it to critical (its own run, which raises the episode's work order and
 * commands safe mode). Other escalations are stored; the run already going stands.
 */
export function startsResponse(event: {
  readonly ts: number;
  readonly episodeStart?: number;
  readonly severity: Severity;
}): boolean {
  return opensEpisode(event) || escalatesToCritical(event);
}

/**
 * The open episodes of many devices. `observe` feeds a reading; `closeQuiet` closes, by the
 * injected clock, the episodes of devices that have gone silent (no reading closes them), so the
 * tracker holds only the devices with an episode open.
 */
export class EpisodeTracker {
  private readonly open = new Map<string, EpisodeState>();

  constructor(
    readonly policy: EpisodePolicy = DEFAULT_EPISODE_POLICY,
    private readonly clock?: Clock,
  ) {
    if (!(policy.quietMs > 0)) throw new Error('episode policy: quietMs must be positive');
  }

  observe(deviceId: string, reading: EpisodeReading): EpisodeStep {
    const { state, step } = stepEpisode(this.open.get(deviceId), reading, this.policy);
    if (state) this.open.set(deviceId, state);
    else this.open.delete(deviceId);
    return step;
  }

  /** The device's open episode, if any (a copy, safe to save). */
  get(deviceId: string): EpisodeState | undefined {
    const s = this.open.get(deviceId);
    return s && { ...s };
  }

  /** Resumes a saved episode (or clears it with undefined); the shape is checked first. */
  restore(deviceId: string, saved: unknown): void {
    if (saved === undefined) {
      this.open.delete(deviceId);
      return;
    }
    this.open.set(deviceId, EpisodeStateSchema.parse(saved));
  }

  /**
   * Closes the episodes whose last anomaly is at least `quietMs` before `now` and returns them
   * by device. Reading times are compared with the clock: use the clock the readings are
   * stamped with.
   */
  closeQuiet(now: number = (this.clock ?? Date.now)()): Map<string, EpisodeState> {
    const closed = new Map<string, EpisodeState>();
    for (const [deviceId, s] of this.open) {
      if (now - s.lastAnomalyAt >= this.policy.quietMs) {
        closed.set(deviceId, s);
        this.open.delete(deviceId);
      }
    }
    return closed;
  }

  /** Devices with an episode open. */
  get size(): number {
    return this.open.size;
  }
}
