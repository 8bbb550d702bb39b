import { opensEpisode } from '../core/episodes';
import type { AnomalyEvent } from '../core/events';
import type { FaultRecord } from '../device/simulator/scenario';

/** Faults that leave no mark in the data (a device offline sends nothing) are not scored. */
const UNDETECTABLE: ReadonlySet<string> = new Set(['network-outage']);
/** An event this soon after a fault ended still belongs to it (the detector's recovery). */
export const DETECTION_GRACE_MS = 30_000;
/**
 * Episode openings on one device closer than this are one alarm: the edge and the cloud each open
 * their own episode for the same anomaly, moments apart, and the workflow runs once for both.
 */
export const ALARM_MERGE_MS = 60_000;

export interface FaultDetection {
  readonly fault: FaultRecord;
  readonly detectedAt?: number;
}

export interface DetectionReport {
  /** Injected faults the data can show. */
  readonly injected: number;
  readonly detected: number;
  /**
   * Alarms outside every fault window: anomaly episodes opened (an escalation is part of its
   * episode), the openings of one device within a minute of each other counted once.
   */
  readonly falseAlarms: number;
  /** The false alarms raised on devices that had no fault injected at all. */
  readonly healthyDeviceAlarms: number;
  /** Healthy devices × the run's hours: what `healthyAlarmsPerDeviceHour` divides by. */
  readonly healthyDeviceHours: number;
  /** Healthy-device alarms per device-hour (null when the run had no healthy device). */
  readonly healthyAlarmsPerDeviceHour: number | null;
  readonly meanTimeToDetectSeconds: number | null;
  readonly perFault: readonly FaultDetection[];
}

/** The fleet the run had: how many devices, for how long. */
export interface FleetExposure {
  readonly devices: number;
  readonly durationSeconds: number;
}

/**
 * Scores anomaly events against the simulator's ground truth. A fault is detected by any event
 * in its window, an escalation included. Every event that opens an episode is an alarm (an event of
 * a producer that does not group anomalies into episodes opens its own), so a flood of episodes
 * shows as a flood of alarms.
 */
export function detectionReport(
  truth: readonly FaultRecord[],
  allEvents: readonly AnomalyEvent[],
  fleet: FleetExposure = { devices: 0, durationSeconds: 0 },
): DetectionReport {
  // A fault is detected by any event in its window (an escalation tells the operator too); an
  // alarm is an episode opened.
  const events = allEvents;
  const openings = allEvents.filter((e) => opensEpisode(e));
  const faults = truth.filter(
    (f) => !UNDETECTABLE.has(f.kind) && f.startMs !== undefined && f.endMs !== undefined,
  );
  const inWindow = (e: AnomalyEvent, f: FaultRecord) =>
    e.deviceId === f.deviceId && e.ts >= f.startMs! && e.ts <= f.endMs! + DETECTION_GRACE_MS;
  const perFault = faults.map((fault) => {
    const hits = events.filter((e) => inWindow(e, fault)).map((e) => e.ts);
    return { fault, detectedAt: hits.length ? Math.min(...hits) : undefined };
  });
  const outside = openings
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
  const healthy = Math.max(0, fleet.devices - faulty.size);
  const healthyDeviceHours = (healthy * fleet.durationSeconds) / 3600;
  const delays = perFault
    .filter((p) => p.detectedAt !== undefined)
    .map((p) => (p.detectedAt! - p.fault.startMs!) / 1000);
  return {
    injected: faults.length,
    detected: delays.length,
    falseAlarms,
    healthyDeviceAlarms,
    healthyDeviceHours: Math.round(healthyDeviceHours * 1000) / 1000,
    healthyAlarmsPerDeviceHour:
      healthyDeviceHours > 0 ? Math.round((healthyDeviceAlarms / healthyDeviceHours) * 100) / 100 : null,
    meanTimeToDetectSeconds: delays.length
      ? Math.round((delays.reduce((a, b) => a + b, 0) / delays.length) * 10) / 10
      : null,
    perFault,
  };
}
