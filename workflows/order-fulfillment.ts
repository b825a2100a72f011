/**
 * `orderFulfillment`: the order saga.
 *
 *   reserveInventory ──► chargePayment ──► createShipment ──► notifyCustomer
 *         │                    │                  │                  │
 *   releaseInventory ◄── refundPayment ◄── cancelShipment ◄── retractNotification
 *                       (compensations, registered before each step; see saga.ts)
 *
 * Transient faults are retried by `serviceCall`; business rejections (OutOfStock, CardDeclined,
 * InsufficientFunds, InvalidAccount, …) are not. Whatever stops the order (a rejection, a step
 * that exhausted its retries or timed out, a cancellation) undoes what was done: the run fails with
 * the original failure, or ends as cancelled, or fails with `SagaCompensationFailed` when an undo
 * itself failed.
 */
import { proxyActivities } from '@temporalio/workflow';
import { z } from 'zod';
import type { Activities } from '../activities';
import { OrderStep } from '../contracts/finance-steps';
import { stepKey, serviceCall, Saga, parseOrReject } from 'steadfast/workflow';
import { formatCents } from '../contracts/money';

/**
 * The schema of {@link OrderFulfillmentInput}, strict (an unknown key is an error): the workflow checks its input with it before any
 * step, and the CLI (`client/schemas/order-fulfillment.ts`) checks `--input` with it before it
 * starts a run, so both report the same fields in the same words.
 */
export const orderFulfillmentInputSchema = z.object({
  orderId: z.string().min(1, 'expected an order id'),
  customerEmail: z.email('expected an email address'),
  paymentAccount: z.string().min(1, 'expected the account to charge'),
  merchantAccount: z.string().min(1, "expected the merchant's account"),
  items: z
    .array(
      z.object({
        sku: z.string().min(1, 'expected a SKU'),
        quantity: z.number().int('expected a whole quantity').positive('expected a positive quantity'),
      }).strict(),
    )
    .min(1, 'expected at least one item'),
  shippingAddress: z.string().trim().min(1, 'expected a shipping address'),
  compensation: z.enum(['reverse', 'parallel']).optional(),
}).strict();

/** An order to fulfil. Amounts come from the warehouse's prices, in cents. */
export interface OrderFulfillmentInput {
  orderId: string;
  customerEmail: string;
  /** The customer's account (their card) to charge. */
  paymentAccount: string;
  /** The shop's account that receives the payment. */
  merchantAccount: string;
  items: { sku: string; quantity: number }[];
  shippingAddress: string;
  /** How to compensate when the order cannot complete: `reverse` (default) or `parallel`. */
  compensation?: 'reverse' | 'parallel';
}

/** A fulfilled order: what each service handed out. */
export interface OrderFulfillmentResult {
  orderId: string;
  reservationId: string;
  /** Charged, in cents. */
  amount: number;
  paymentId: string;
  shipmentId: string;
  trackingNumber: string;
  notificationId: string;
}

const { reserveInventory, chargePayment, createShipment, notifyCustomer } = proxyActivities<Activities>(serviceCall);

export async function orderFulfillment(input: OrderFulfillmentInput): Promise<OrderFulfillmentResult> {
  const order = parseOrReject('orderFulfillment input', orderFulfillmentInputSchema, input);
  const key = {
    reserve: stepKey(OrderStep.reserveInventory),
    charge: stepKey(OrderStep.chargePayment),
    ship: stepKey(OrderStep.createShipment),
    notify: stepKey(OrderStep.notifyCustomer),
  };
  const saga = new Saga<Activities>({ order: order.compensation });
  return saga.run(async () => {
    const { reservationId, amount } = await saga.step(
      'reserve inventory',
      () => reserveInventory({ key: key.reserve, orderId: order.orderId, items: order.items }),
      { activity: 'releaseInventory', args: [{ key: stepKey(OrderStep.releaseInventory), reservationKey: key.reserve }] },
    );
    const { paymentId } = await saga.step(
      'charge payment',
      () =>
        chargePayment({
          key: key.charge,
          orderId: order.orderId,
          account: order.paymentAccount,
          merchantAccount: order.merchantAccount,
          amount,
        }),
      { activity: 'refundPayment', args: [{ key: stepKey(OrderStep.refundPayment), paymentKey: key.charge }] },
    );
    const { shipmentId, trackingNumber } = await saga.step(
      'create shipment',
      () => createShipment({ key: key.ship, orderId: order.orderId, reservationId, address: order.shippingAddress }),
      { activity: 'cancelShipment', args: [{ key: stepKey(OrderStep.cancelShipment), shipmentKey: key.ship }] },
    );
    const { notificationId } = await saga.step(
      'notify customer',
      () =>
        notifyCustomer({
          key: key.notify,
          recipient: order.customerEmail,
          subject: `Your order ${order.orderId} is on its way`,
          body: `We charged ${formatCents(amount)} and shipped your order; tracking number ${trackingNumber}.`,
        }),
      { activity: 'retractNotification', args: [{ key: stepKey(OrderStep.retractNotification), notificationKey: key.notify }] },
    );
    return { orderId: order.orderId, reservationId, amount, paymentId, shipmentId, trackingNumber, notificationId };
  });
}
