import { workOrderStoreSubjects } from './subjects';
import { workOrderStoreContract } from './work-order-store.contract';

describe.each(workOrderStoreSubjects)('WorkOrderStore on $name', (entry) => workOrderStoreContract(entry));
