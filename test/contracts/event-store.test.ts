import { eventStoreContract } from './event-store.contract';
import { eventStoreSubjects } from './subjects';

describe.each(eventStoreSubjects)('EventStore and PredictionStore on $name', (entry) =>
  eventStoreContract(entry),
);
