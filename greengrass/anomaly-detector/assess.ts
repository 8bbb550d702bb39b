import { type Detector, type DetectorConfig, severityOf } from '../../core/detector';
import { type EpisodeState, stepEpisode } from '../../core/episodes';
import { type Severity, severityRank } from '../../core/severity';
import type { EdgeConfig } from './config';

/** What a reading's assessment needs of its device, and updates: its detector and episode. */
export interface AssessedDevice {
  readonly detector: Detector;
  /** The device's open anomaly episode, if any. */
  episode?: EpisodeState;
  /** Whether the last reading was within the safety margin of a limit. */
  nearLimit: boolean;
}

/** A measure within the safety margin of its limit, or past it. */
export interface NearLimit {
  readonly measure: string;
  readonly value: number;
  readonly limit: number;
  readonly bound: 'max' | 'min';
}

export interface ReadingAssessment {
  readonly score: number;
  /** The score graded with the detector's thresholds. */
  readonly severity: Severity;
  /** Counts as an anomalous reading in the window's aggregates (at the event severity, or near a limit on the way in). */
  readonly anomalous: boolean;
  /** An anomaly event to send: the reading opened an episode or escalated it. */
  readonly event?: { readonly severity: Severity; readonly episodeStart: number };
  /** Anomalous, but inside an episode already told: no event (counted as held). */
  readonly held: boolean;
  /** Command the device to safety: its episode just became critical. */
  readonly actuate?: { readonly reason: string; readonly limit?: NearLimit };
}

/** The first measure within `margin` (a fraction) of its safety limit, or past it; if any. */
export function nearLimit(
  values: Readonly<Record<string, number>>,
  limits: EdgeConfig['safetyLimits'],
  margin: number,
): NearLimit | undefined {
  for (const [measure, limit] of Object.entries(limits)) {
    const v = values[measure];
    if (v === undefined) continue;
    if (limit.max !== undefined && v >= limit.max - margin * Math.abs(limit.max)) {
      return { measure, value: v, limit: limit.max, bound: 'max' };
    }
    if (limit.min !== undefined && v <= limit.min + margin * Math.abs(limit.min)) {
      return { measure, value: v, limit: limit.min, bound: 'min' };
    }
  }
  return undefined;
}

/**
 * One reading through a device's detector and episode, with no I/O: its score and severity,
 * whether to send an event, and whether to command the device to safety.
 *
 * Coming close to a safety limit is critical, whatever the score; leaving takes twice the margin,
 * so noise around the boundary does not enter it again and again. A reading counts for the
 * device's episode at its graded severity when that reaches `eventMinSeverity`, and as critical
 * while near a limit. An event goes out when the episode opens or escalates; the command when the
 * episode becomes critical (opened critical, or escalated to it) — once per episode however long
 * it lasts.
 */
export function assessReading(
  reading: { readonly ts: number; readonly values: Readonly<Record<string, number>> },
  device: AssessedDevice,
  config: { readonly edge: EdgeConfig; readonly detector: DetectorConfig },
): ReadingAssessment {
  const { edge } = config;
  const score = device.detector.update(reading.values, reading.ts);
  const severity = severityOf(score, config.detector);
  const limit = nearLimit(reading.values, edge.safetyLimits, edge.safetyMargin);
  const enteringLimit = limit !== undefined && !device.nearLimit;
  device.nearLimit =
    limit !== undefined ||
    (device.nearLimit && nearLimit(reading.values, edge.safetyLimits, 2 * edge.safetyMargin) !== undefined);

  const aboveMin = severityRank(severity) >= severityRank(edge.eventMinSeverity);
  const counted: Severity = limit ? 'critical' : aboveMin ? severity : 'info';
  const { state, step } = stepEpisode(
    device.episode,
    { ts: reading.ts, score, severity: counted },
    { quietMs: edge.episodeQuietMs },
  );
  device.episode = state;
  const anomalous = aboveMin || enteringLimit;
  if (step.kind === 'none') return { score, severity, anomalous, held: anomalous };

  const becameCritical = step.episode.severity === 'critical';
  const reason = limit
    ? `${limit.measure} ${limit.value} is within ${edge.safetyMargin * 100}% of its ${limit.bound} limit ${limit.limit}`
    : `critical anomaly (score ${score.toFixed(3)})`;
  return {
    score,
    severity,
    anomalous: true,
    held: false,
    event: { severity: counted, episodeStart: step.episode.startedAt },
    ...(becameCritical && { actuate: { reason, ...(limit && { limit }) } }),
  };
}
