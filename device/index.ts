/**
 * The device layer: the device agent (telemetry, commands, store-and-forward), fleet
 * provisioning by claim, and the fleet simulator built on them.
 */
export {
  type AgentLogger,
  type AgentStats,
  DeviceAgent,
  type DeviceAgentOptions,
  SAMPLING_LIMITS,
} from './agent';
export {
  type BrokerEndpoint,
  describeEndpoint,
  type IotCoreEndpoint,
  type LinkPath,
  MqttLink,
  type MtlsBroker,
  parseBrokerUrl,
} from './connection';
export {
  CachedDiscovery,
  type CoreDiscovery,
  type CoreEndpoint,
  coreEndpoints,
  GreengrassDiscovery,
} from './discovery';
export { ForwardQueue, type QueuedMessage, SequenceCounter } from './queue';
export {
  Fleet,
  type FleetOptions,
  type FleetProgress,
  type FleetSummary,
  runSimulation,
} from './simulator/fleet';
export { RotatingMachine } from './simulator/machine';
export {
  FAULT_KINDS,
  type FaultKind,
  type FaultRecord,
  loadScenario,
  MACHINE_UNITS,
  parseScenario,
  planFaults,
  type Scenario,
  type ScenarioInput,
} from './simulator/scenario';
