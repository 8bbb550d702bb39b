import type { DeviceDirectory, HistoryReader } from '../../../core/ports';
import { AnomalyResponseInputSchema, enrich } from '../../../core/workflows/anomaly-response';

export interface EnrichDeps {
  readonly history: HistoryReader;
  readonly devices: DeviceDirectory;
}

/** Task of the anomaly-response workflow: the device's recent history and its metadata. */
export function makeHandler(deps: EnrichDeps) {
  return async (event: unknown) => enrich(AnomalyResponseInputSchema.parse(event), deps);
}
