import { telemetryStoreSubjects } from './subjects';
import { telemetryStoreContract } from './telemetry-store.contract';

describe.each(telemetryStoreSubjects)('TelemetryStore on $name', (entry) => telemetryStoreContract(entry));
