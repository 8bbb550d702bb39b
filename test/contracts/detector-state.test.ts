import { detectorStateStoreContract } from './detector-state.contract';
import { detectorStateStoreSubjects } from './subjects';

describe.each(detectorStateStoreSubjects)('DetectorStateStore on $name', (entry) =>
  detectorStateStoreContract(entry),
);
