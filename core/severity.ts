import { z } from 'zod';

/** How urgent an anomaly is, least urgent first: the order every ranking of severities uses. */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;

/** Scores at or above which an anomaly is a warning, or critical. */
export interface SeverityThresholds {
  readonly warning: number;
  readonly critical: number;
}

/** 0 for info, 1 for warning, 2 for critical. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** The more urgent of two severities (undefined when both are). */
export function worse(a: Severity | undefined, b: Severity | undefined): Severity | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return severityRank(a) >= severityRank(b) ? a : b;
}

/** One level more urgent (critical stays critical). */
export function raised(s: Severity): Severity {
  return SEVERITIES[Math.min(severityRank(s) + 1, SEVERITIES.length - 1)]!;
}

/**
 * Grades a score with the thresholds of a configuration, so the edge component, the cloud path
 * and the workflows grade the same score the same way.
 */
export function severityOf(score: number, config: { readonly severity: SeverityThresholds }): Severity {
  if (score >= config.severity.critical) return 'critical';
  if (score >= config.severity.warning) return 'warning';
  return 'info';
}

/** {@link severityRank} of a `severity` column in SQL (SQLite and Timestream run this CASE alike). */
export const SEVERITY_RANK_SQL = `CASE severity ${SEVERITIES.map((s, i) => `WHEN '${s}' THEN ${i}`).join(' ')} END`;
