import { objectStoreContract } from './object-store.contract';
import { objectStoreSubjects } from './subjects';

describe.each(objectStoreSubjects)('ObjectStore on $name', (entry) => objectStoreContract(entry));
