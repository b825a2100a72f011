/** The reference application's workflow types as the CLI sees them (see `defineWorkflowType`). */
import { carePathwayType } from './care-pathway';
import { moneyTransferType } from './money-transfer';
import { orderFulfillmentType } from './order-fulfillment';
import { productionBatchType } from './production-batch';

export const WORKFLOW_TYPES = [carePathwayType, orderFulfillmentType, moneyTransferType, productionBatchType];
