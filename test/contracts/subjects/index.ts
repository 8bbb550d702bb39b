/**
 * The subject registry: for each port, every adapter its contract runs against. A new adapter
 * joins a suite by adding its entry here (see test/contracts/README.md).
 */
import {
  dynamoDbWorkOrderStore,
  s3ObjectStore,
  s3Quarantine,
  timestreamEventStore,
  timestreamHistoryReader,
  timestreamQueryStore,
  timestreamTelemetryStore,
} from './aws';
import {
  memoryObjectStore,
  sqliteEventStore,
  sqliteHistoryReader,
  sqliteQuarantine,
  sqliteQueryStore,
  sqliteTelemetryStore,
  sqliteWorkOrderStore,
} from './sqlite';

export const telemetryStoreSubjects = [sqliteTelemetryStore, timestreamTelemetryStore];
export const eventStoreSubjects = [sqliteEventStore, timestreamEventStore];
export const historyReaderSubjects = [sqliteHistoryReader, timestreamHistoryReader];
export const queryStoreSubjects = [sqliteQueryStore, timestreamQueryStore];
export const workOrderStoreSubjects = [sqliteWorkOrderStore, dynamoDbWorkOrderStore];
export const quarantineSubjects = [sqliteQuarantine, s3Quarantine];
export const objectStoreSubjects = [memoryObjectStore, s3ObjectStore];
