import { z } from 'zod';
import { DEFAULT_DETECTOR_CONFIG } from '../../detector';
import { raised, type Severity, severityOf, severityRank, worse } from '../../severity';
import type { Enrichment } from './enrich';
import { type AnomalyResponseInput, AnomalyResponseInputSchema } from './start';

export interface Assessment {
  readonly severity: Severity;
  readonly reasons: readonly string[];
  readonly subject: string;
  readonly message: string;
}

/**
 * Grades the anomaly. The reported severity is a floor; the score is graded with the detector's
 * thresholds (the same everywhere); a value far outside the hour before it, or an asset marked
 * `criticality=high`, raises a warning by one level. Without enrichment the floor stands.
 */
export function classify(
  input: AnomalyResponseInput,
  enrichment: Enrichment,
  thresholds: { warning: number; critical: number } = DEFAULT_DETECTOR_CONFIG.severity,
): Assessment {
  const { event } = input;
  const reasons: string[] = [`reported ${event.severity} by ${event.source}`];
  let severity: Severity = event.severity;
  const byScore = severityOf(event.score, { severity: thresholds });
  if (severityRank(byScore) > severityRank(severity))
    reasons.push(`score ${event.score.toFixed(3)} grades ${byScore}`);
  severity = worse(severity, byScore)!;

  if (enrichment.available && severity === 'warning') {
    const outliers = Object.entries(event.measures).filter(([name, v]) => {
      const s = enrichment.measures[name];
      if (!s || s.count < 10) return false;
      const span = Math.max(s.max - s.min, Math.abs(s.mean) * 0.01, 1e-9);
      return v > s.max + span || v < s.min - span;
    });
    if (outliers.length > 0) {
      severity = raised(severity);
      reasons.push(`outside the last hour's range: ${outliers.map(([n]) => n).join(', ')}`);
    } else if (enrichment.device.criticality === 'high') {
      severity = raised(severity);
      reasons.push('asset marked criticality=high');
    }
  }
  if (!enrichment.available) reasons.push('history unavailable');
  else if (enrichment.readings === 0) reasons.push('no readings stored in the hour before');

  const measures = Object.entries(event.measures)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const subject = `[aiot] ${severity} anomaly on ${event.deviceId} (${event.site})`.slice(0, 99);
  const message = [
    `Device ${event.deviceId} at site ${event.site} reported an anomaly at ${new Date(event.ts).toISOString()}.`,
    `Severity: ${severity}; score ${event.score.toFixed(3)}; measures: ${measures || 'none'}.`,
    `Why: ${reasons.join('; ')}.`,
    `Work order: ${input.workOrderId}.`,
  ].join('\n');
  return { severity, reasons, subject, message };
}

/** The Classify task's input, as the ASL passes it. */
export const ClassifyTaskSchema = z.object({
  input: AnomalyResponseInputSchema,
  enrichment: z.custom<Enrichment>((v) => typeof v === 'object' && v !== null && 'available' in v),
});
