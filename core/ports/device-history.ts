import type { TelemetryRecord } from './telemetry-store';

/** Most readings one `recent` answers: the newest ones (an hour of a fast device is plenty). */
export const MAX_RECENT_READINGS = 2000;

/** Recent readings of a device (the time-series store in AWS, SQLite locally). */
export interface HistoryReader {
  /**
   * The device's readings with `sinceMs <= time < untilMs`, oldest first: at most
   * {@link MAX_RECENT_READINGS}, the newest when there are more. An unknown device has none.
   */
  recent(deviceId: string, sinceMs: number, untilMs: number): Promise<readonly TelemetryRecord[]>;
}

/** Device metadata (thing attributes in AWS, the simulator's registry locally). */
export interface DeviceDirectory {
  describe(deviceId: string): Promise<Readonly<Record<string, string>> | undefined>;
}
