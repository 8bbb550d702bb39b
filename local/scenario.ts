import type { ScenarioInput } from '../device/simulator/scenario';

export interface LocalScenarioOptions {
  readonly devices: number;
  /** Run length; without one the fleet runs for a day. */
  readonly durationS?: number;
  readonly rateHz: number;
  readonly seed: number;
}

/**
 * The fleet `npm start` runs when no scenario file is given: a small site where the first
 * devices get one fault each (bearing wear, overheating, spikes) after a healthy stretch long
 * enough for the detectors to learn, and the others stay healthy, so the report can tell
 * detections from false alarms. Fault times scale with the run length.
 */
export function localScenario(o: LocalScenarioOptions): ScenarioInput {
  // Without a duration the fleet runs for a day and the faults fall in its first ten minutes.
  const span = o.durationS ?? 600;
  const duration = o.durationS ?? 86_400;
  const at = (fraction: number) => Math.round(span * fraction * 10) / 10;
  const kinds = [
    // Heat builds with the bearing's thermal lag (about 90 s): a strong overheating, early, so
    // that even a short run sees the bearing approach its safety limit before it ends.
    { kind: 'overheating', startS: at(0.35), endS: at(0.95), magnitude: 3 },
    { kind: 'bearing-wear', startS: at(0.5), endS: at(0.95) },
    { kind: 'spikes', startS: at(0.6), endS: at(0.85), measure: 'vibration_rms', magnitude: 1.5 },
  ] as const;
  const faulty = Math.min(kinds.length, Math.max(0, o.devices - 1));
  return {
    description: 'npm start: a small site, a few machines with one fault each, the rest healthy',
    seed: o.seed,
    site: 'plant-1',
    devicePrefix: 'sim',
    devices: o.devices,
    durationS: duration,
    rateHz: o.rateHz,
    // A short day and work cycle, so a short run shows both in its charts.
    dayLengthS: Math.max(60, span),
    dutyCycleS: Math.max(8, Math.round(span / 12)),
    faults: kinds.slice(0, faulty).map((k, device) => ({ ...k, device })),
  };
}
