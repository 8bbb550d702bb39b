/**
 * The subject registry: for each port, every adapter its contract runs against. A new adapter
 * joins a suite by adding its entry here (see test/contracts/README.md).
 */
import { dynamoDbWorkOrderStore, timestreamQueryStore, timestreamTelemetryStore } from './aws';
import { sqliteQueryStore, sqliteTelemetryStore, sqliteWorkOrderStore } from './sqlite';

export const telemetryStoreSubjects = [sqliteTelemetryStore, timestreamTelemetryStore];
export const workOrderStoreSubjects = [sqliteWorkOrderStore, dynamoDbWorkOrderStore];
export const queryStoreSubjects = [sqliteQueryStore, timestreamQueryStore];
