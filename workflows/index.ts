/**
 * Every workflow type the worker registers. Type names are a contract (see docs/ARCHITECTURE.md):
 * `orderFulfillment`, `moneyTransfer`, `productionBatch`, `carePathway`.
 */
export { carePathway } from './care-pathway';
export { moneyTransfer } from './money-transfer';
export { orderFulfillment } from './order-fulfillment';
export { productionBatch } from './production-batch';
