/**
 * Numenta Anomaly Benchmark support: data and results parsing, and a scorer that follows
 * NAB's published definition (windows, scaled sigmoid, profiles, corpus-wide threshold).
 */
export { type NabSeries, parseNabCsv, parseNabResultsCsv, parseNabTimestamp } from './csv';
export {
  type CostProfile,
  NAB_PROFILES,
  type NabProfileName,
  type ProfileResult,
  probationaryRows,
  type ScoredFile,
  scaledSigmoid,
  scoreAllProfiles,
  scoreCorpus,
  sweepScores,
  windowIndices,
} from './scorer';
