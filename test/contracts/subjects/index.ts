/**
 * The subject registry: for each port, every adapter its contract runs against. A new adapter
 * joins a suite by adding its entry here (see test/contracts/README.md).
 */
import {
  dynamoDbDetectorStateStore,
  dynamoDbWorkOrderStore,
  s3ObjectStore,
  s3Quarantine,
  timestreamEventStore,
  timestreamHistoryReader,
  timestreamQueryStore,
  timestreamTelemetryStore,
} from './aws';
import { influxEventStore, influxHistoryReader, influxQueryStore, influxTelemetryStore } from './influx';
import {
  memoryObjectStore,
  sqliteDetectorStateStore,
  sqliteEventStore,
  sqliteHistoryReader,
  sqliteQuarantine,
  sqliteQueryStore,
  sqliteTelemetryStore,
  sqliteWorkOrderStore,
} from './sqlite';

export const telemetryStoreSubjects = [sqliteTelemetryStore, timestreamTelemetryStore, influxTelemetryStore];
export const eventStoreSubjects = [sqliteEventStore, timestreamEventStore, influxEventStore];
export const historyReaderSubjects = [sqliteHistoryReader, timestreamHistoryReader, influxHistoryReader];
export const queryStoreSubjects = [sqliteQueryStore, timestreamQueryStore, influxQueryStore];
export const workOrderStoreSubjects = [sqliteWorkOrderStore, dynamoDbWorkOrderStore];
export const quarantineSubjects = [sqliteQuarantine, s3Quarantine];
export const objectStoreSubjects = [memoryObjectStore, s3ObjectStore];
export const detectorStateStoreSubjects = [sqliteDetectorStateStore, dynamoDbDetectorStateStore];
