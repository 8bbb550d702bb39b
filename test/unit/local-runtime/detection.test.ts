import type { AnomalyEvent } from '../../../core/events';
import type { FaultRecord } from '../../../device/simulator/scenario';
import { detectionReport } from '../../../local/detection';

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
const fault = (deviceId: string, kind: FaultRecord['kind'], startS: number, endS: number): FaultRecord => ({
  deviceId,
  kind,
  magnitude: 1,
  startS,
  endS,
  startMs: T0 + startS * 1000,
  endMs: T0 + endS * 1000,
});
const event = (deviceId: string, atS: number): AnomalyEvent => ({
  schema: 'aiot.event/1',
  kind: 'anomaly',
  deviceId,
  site: 'plant-1',
  ts: T0 + atS * 1000,
  score: 0.99,
  severity: 'critical',
  measures: { vibration_rms: 7 },
  source: 'edge-detector',
});

describe('detectionReport', () => {
  it('when events fall in fault windows, counts each fault once with its first detection time', () => {
    const r = detectionReport(
      [fault('a', 'overheating', 60, 120), fault('b', 'spikes', 100, 130)],
      [event('a', 64), event('a', 70), event('b', 101)],
    );
    expect(r).toMatchObject({ injected: 2, detected: 2, falseAlarms: 0, meanTimeToDetectSeconds: 2.5 });
  });

  it('when a fault leaves no mark in the data (a network outage), does not score it', () => {
    const r = detectionReport([fault('a', 'network-outage', 10, 20), fault('b', 'spikes', 10, 20)], []);
    expect(r).toMatchObject({ injected: 1, detected: 0, meanTimeToDetectSeconds: null });
  });

  it('when events fall outside every window, merges them per device within a minute into false alarms', () => {
    const r = detectionReport(
      [fault('a', 'overheating', 300, 400)],
      // a before its fault (one alarm); h healthy: 10 s and 50 s merge, 200 s is a second alarm.
      [event('a', 30), event('h', 10), event('h', 50), event('h', 200), event('a', 310)],
    );
    expect(r).toMatchObject({ detected: 1, falseAlarms: 3, healthyDeviceAlarms: 2 });
  });

  it('when an event comes shortly after a fault ended, still credits the fault (the detector recovers)', () => {
    const r = detectionReport([fault('a', 'bearing-wear', 10, 20)], [event('a', 45)]);
    expect(r).toMatchObject({ detected: 1, falseAlarms: 0 });
  });

  it('when an episode escalates, the escalation is part of it: one alarm, not two', () => {
    const opening = { ...event('h', 10), severity: 'warning' as const, episodeStart: T0 + 10_000 };
    const escalation = { ...event('h', 200), episodeStart: T0 + 10_000 };
    const r = detectionReport([fault('a', 'spikes', 300, 400)], [opening, escalation]);
    expect(r).toMatchObject({ falseAlarms: 1, healthyDeviceAlarms: 1 });
  });

  it('when a fault comes during an episode already open, its escalation inside the window detects it', () => {
    const opening = { ...event('a', 100), severity: 'warning' as const, episodeStart: T0 + 100_000 };
    const escalation = { ...event('a', 320), episodeStart: T0 + 100_000 };
    const r = detectionReport([fault('a', 'overheating', 300, 400)], [opening, escalation]);
    expect(r).toMatchObject({ detected: 1, falseAlarms: 1, meanTimeToDetectSeconds: 20 });
  });

  it('when a healthy device opens episode after episode, each counts: a flood shows as a flood', () => {
    const flood = Array.from({ length: 12 }, (_, i) => ({
      ...event('h', 100 + i * 90),
      episodeStart: T0 + (100 + i * 90) * 1000,
    }));
    const r = detectionReport([fault('a', 'spikes', 300, 400)], flood, { devices: 2, durationSeconds: 1800 });
    expect(r).toMatchObject({
      healthyDeviceAlarms: 12,
      healthyDeviceHours: 0.5,
      healthyAlarmsPerDeviceHour: 24,
    });
  });

  it('when the fleet is given, alarms are per healthy device-hour; without healthy devices there is no rate', () => {
    const r = detectionReport([fault('a', 'spikes', 300, 400)], [event('h', 10)], {
      devices: 4,
      durationSeconds: 600,
    });
    // 3 healthy devices for 10 minutes: half a device-hour, one alarm.
    expect(r).toMatchObject({
      healthyDeviceAlarms: 1,
      healthyDeviceHours: 0.5,
      healthyAlarmsPerDeviceHour: 2,
    });
    expect(detectionReport([fault('a', 'spikes', 1, 2)], []).healthyAlarmsPerDeviceHour).toBeNull();
  });
});
