/**
 * `orderFulfillment` for the CLI: its input is checked with the workflow's own schema
 * (`workflows/order-fulfillment.ts`), strict, so that a misspelt key is an error rather than
 * ignored. It handles no signals, queries or updates. The example uses the accounts and stock
 * that `steadfast seed` opens.
 */
import { orderFulfillment } from '../../workflows';
import { orderFulfillmentInputSchema } from '../../workflows/order-fulfillment';
import type { Activities } from '../../activities';
import { defineWorkflowType } from 'steadfast';

/** `orderFulfillment`'s entry in the workflow registry. */
export const orderFulfillmentType = defineWorkflowType({
  workflow: orderFulfillment,
  summary: 'finance saga: reserve stock, charge the card, ship, notify; undone in reverse order when a step fails or the order is cancelled',
  input: orderFulfillmentInputSchema,
  example: {
    orderId: 'order-1001',
    customerEmail: 'alice@example.com',
    paymentAccount: 'acct-alice',
    merchantAccount: 'acct-shop',
    items: [{ sku: 'sku-widget', quantity: 2 }],
    shippingAddress: '1 Market Street, Springfield',
  },
  activities: [
    'reserveInventory',
    'chargePayment',
    'createShipment',
    'notifyCustomer',
    'releaseInventory',
    'refundPayment',
    'cancelShipment',
    'retractNotification',
  ] satisfies (keyof Activities)[],
});
