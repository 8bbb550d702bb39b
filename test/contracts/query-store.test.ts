import { queryStoreContract } from './query-store.contract';
import { queryStoreSubjects } from './subjects';

describe.each(queryStoreSubjects)('QueryStore on $name', (entry) => queryStoreContract(entry));
