import type { AnomalyEvent } from '../core/events';
import type { FaultRecord } from '../device/simulator/scenario';

/** Faults that leave no mark in the data (a device offline sends nothing) are not scored. */
const UNDETECTABLE: ReadonlySet<string> = new Set(['network-outage']);
/** An event this soon after a fault ended still belongs to it (the detector's recovery). */
export const DETECTION_GRACE_MS = 30_000;
/** Events on one device closer than this are one alarm. */
export const ALARM_MERGE_MS = 60_000;

export interface FaultDetection {
  readonly fault: FaultRecord;
  readonly detectedAt?: number;
}

export interface DetectionReport {
  /** Injected faults the data can show. */
  readonly injected: number;
  readonly detected: number;
  /** Alarms (events merged per device within a minute) outside every fault window. */
  readonly falseAlarms: number;
  /** The false alarms raised on devices that had no fault injected at all. */
  readonly healthyDeviceAlarms: number;
  readonly meanTimeToDetectSeconds: number | null;
  readonly perFault: readonly FaultDetection[];
}

/** Scores anomaly events against the simulator's ground truth. */
export function detectionReport(
  truth: readonly FaultRecord[],
  events: readonly AnomalyEvent[],
): DetectionReport {
  const faults = truth.filter(
    (f) => !UNDETECTABLE.has(f.kind) && f.startMs !== undefined && f.endMs !== undefined,
  );
  const inWindow = (e: AnomalyEvent, f: FaultRecord) =>
    e.deviceId === f.deviceId && e.ts >= f.startMs! && e.ts <= f.endMs! + DETECTION_GRACE_MS;
  const perFault = faults.map((fault) => {
    const hits = events.filter((e) => inWindow(e, fault)).map((e) => e.ts);
    return { fault, detectedAt: hits.length ? Math.min(...hits) : undefined };
  });
  const outside = events
    .filter((e) => !faults.some((f) => inWindow(e, f)))
    .sort((a, b) => a.deviceId.localeCompare(b.deviceId) || a.ts - b.ts);
  const faulty = new Set(truth.map((f) => f.deviceId));
  let falseAlarms = 0;
  let healthyDeviceAlarms = 0;
  let last: AnomalyEvent | undefined;
  for (const e of outside) {
    if (!last || last.deviceId !== e.deviceId || e.ts - last.ts > ALARM_MERGE_MS) {
      falseAlarms++;
      if (!faulty.has(e.deviceId)) healthyDeviceAlarms++;
    }
    last = e;
  }
  const delays = perFault
    .filter((p) => p.detectedAt !== undefined)
    .map((p) => (p.detectedAt! - p.fault.startMs!) / 1000);
  return {
    injected: faults.length,
    detected: delays.length,
    falseAlarms,
    healthyDeviceAlarms,
    meanTimeToDetectSeconds: delays.length
      ? Math.round((delays.reduce((a, b) => a + b, 0) / delays.length) * 10) / 10
      : null,
    perFault,
  };
}
