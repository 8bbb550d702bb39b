import { quarantineContract } from './quarantine.contract';
import { quarantineSubjects } from './subjects';

describe.each(quarantineSubjects)('Quarantine on $name', (entry) => quarantineContract(entry));
