/**
 * The streaming anomaly detector shared by the edge component, the cloud stream path and
 * the local runtime. See docs/detector.md for the method and its NAB figures.
 *
 * ```ts
 * const detector = createDetector();
 * const score = detector.update({ vibration_rms: 0.8, bearing_temp_c: 61 }, Date.now());
 * if (severityOf(score, detector.config) !== 'info') raise(score);
 * const saved = JSON.stringify(detector.snapshot()); // and later: restoreDetector(JSON.parse(saved))
 * ```
 */

export { type Severity, severityOf } from '../severity';
export { DEFAULT_DETECTOR_CONFIG, type DetectorConfig, resolveConfig } from './config';
export {
  createDetector,
  type Detector,
  type DetectorInput,
  type DetectorState,
  restoreDetector,
} from './detector';
