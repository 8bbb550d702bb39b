import type { TelemetryRecord } from './telemetry-store';

/** Recent readings of a device (the time-series store in AWS, SQLite locally). */
export interface HistoryReader {
  recent(deviceId: string, sinceMs: number, untilMs: number): Promise<readonly TelemetryRecord[]>;
}

/** Device metadata (thing attributes in AWS, the simulator's registry locally). */
export interface DeviceDirectory {
  describe(deviceId: string): Promise<Readonly<Record<string, string>> | undefined>;
}
