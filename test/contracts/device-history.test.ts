import { historyReaderContract } from './device-history.contract';
import { historyReaderSubjects } from './subjects';

describe.each(historyReaderSubjects)('HistoryReader on $name', (entry) => historyReaderContract(entry));
