/**
 * The reference application's workflow types under chaos, with their own invariants (money
 * conserved, stock accounted for, each run's effects as its outcome says).
 */
import { moneyTransferChaos, orderFulfillmentChaos } from './finance-types';
import { carePathwayChaos } from './care-type';
import { productionBatchChaos } from './production-type';

export const CHAOS_TYPES = [orderFulfillmentChaos, moneyTransferChaos, productionBatchChaos, carePathwayChaos];
