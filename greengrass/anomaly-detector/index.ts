/**
 * The edge anomaly detector: the logic (transport-independent), its transports and its
 * Greengrass packaging. The local runtime runs `AnomalyDetectorComponent` on a thread of its own
 * over a transport to its host (`local/edge-worker.ts`), the edge benchmark over
 * `LoopbackTransport`, tests also over `MqttTransport`; on a Greengrass core `main.ts` runs it
 * over IPC.
 */
export {
  AGGREGATES_SCHEMA_VERSION,
  type AggregatesMessage,
  AggregatesMessageSchema,
} from './aggregates';
export {
  AnomalyDetectorComponent,
  type AnomalyDetectorOptions,
  type AnomalyDetectorStats,
} from './component';
export {
  COMPONENT_NAME,
  DEFAULT_EDGE_CONFIG,
  type EdgeConfig,
  type EdgeConfigInput,
  EdgeConfigSchema,
  parseEdgeConfig,
} from './config';
export { LoopbackTransport } from './loopback-transport';
export { MqttTransport, type MqttTransportOptions } from './mqtt-transport';
export { anomalyDetectorRecipe, artifactFolder, contentVersion, type RecipeOptions } from './recipe';
export type { EdgeTransport, Unsubscribe } from './transport';
