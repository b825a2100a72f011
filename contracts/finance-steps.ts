/**
 * Step names of the finance workflows: the `<step>` in each idempotency key `<workflowId>/<step>`
 * (`stepKey`). Changing one changes the keys of new runs, so runs in flight would apply a step
 * again: treat them as a contract. `verify()` reads them to find each run's effects.
 */

/** `orderFulfillment`: each step and its compensation. */
export const OrderStep = {
  reserveInventory: 'reserve-inventory',
  releaseInventory: 'release-inventory',
  chargePayment: 'charge-payment',
  refundPayment: 'refund-payment',
  createShipment: 'create-shipment',
  cancelShipment: 'cancel-shipment',
  notifyCustomer: 'notify-customer',
  retractNotification: 'retract-notification',
} as const;

/** `moneyTransfer`: each step and its compensation. */
export const TransferStep = {
  withdraw: 'withdraw',
  reverseWithdrawal: 'reverse-withdrawal',
  deposit: 'deposit',
  reverseDeposit: 'reverse-deposit',
} as const;
