import type { DetectorConfig } from './config';

/** How urgent an anomaly is, from its score. */
export type Severity = 'info' | 'warning' | 'critical';

/**
 * Maps a score to a severity with the thresholds of the configuration, so the edge
 * component and the cloud path grade the same score the same way.
 */
export function severityOf(score: number, config: Pick<DetectorConfig, 'severity'>): Severity {
  if (score >= config.severity.critical) return 'critical';
  if (score >= config.severity.warning) return 'warning';
  return 'info';
}
