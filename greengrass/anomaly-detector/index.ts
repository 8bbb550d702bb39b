/**
 * The edge anomaly detector: the logic (transport-independent), its transports and its
 * Greengrass packaging. The local runtime runs `AnomalyDetectorComponent` over `MqttTransport`
 * (or `LoopbackTransport`) in-process; on a Greengrass core `main.ts` runs it over IPC.
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
