/**
 * A small bank and warehouse to run the finance workflows against: the tests, the demo, the
 * recorded scenarios and the chaos harness seed the store with it.
 */
import { openAccounts } from './bank';
import { stockItems } from './inventory';
import type { EffectStore } from './store';
import type { OrderFulfillmentInput } from '../workflows/order-fulfillment';

/** What {@link seedFinance} created; ids carry the tag. */
export interface FinanceFixture {
  accounts: {
    /** 1 000.00 on an active card. */
    alice: string;
    /** 500.00 on an active card. */
    bob: string;
    /** 300.00, frozen: her card is declined and transfers are refused. */
    carol: string;
    /** The shop, empty. */
    merchant: string;
  };
  skus: {
    /** 12.50 each, 10 in stock. */
    widget: string;
    /** 49.99 each, 3 in stock. */
    gadget: string;
  };
  /** Sum of the opening balances, in cents. */
  seededTotal: number;
}

/**
 * The ids and figures of the fixture for `tag`, without touching a store: what {@link seedFinance}
 * creates, for callers that build inputs before the store is open (the chaos harness).
 */
export function financeFixture(tag = ''): FinanceFixture {
  const t = tag ? `-${tag}` : '';
  return {
    accounts: { alice: `acct-alice${t}`, bob: `acct-bob${t}`, carol: `acct-carol${t}`, merchant: `acct-shop${t}` },
    skus: { widget: `sku-widget${t}`, gadget: `sku-gadget${t}` },
    seededTotal: 100_000 + 50_000 + 30_000,
  };
}

/**
 * Opens the accounts and stocks the SKUs of the fixture, exactly once per tag (a second call with
 * the same tag changes nothing). Use a fresh tag per scenario when the store is shared.
 */
export async function seedFinance(store: EffectStore, tag = ''): Promise<FinanceFixture> {
  const fixture = financeFixture(tag);
  await openAccounts(store, [
    { id: fixture.accounts.alice, owner: 'Alice', balance: 100_000 },
    { id: fixture.accounts.bob, owner: 'Bob', balance: 50_000 },
    { id: fixture.accounts.carol, owner: 'Carol', balance: 30_000, status: 'frozen' },
    { id: fixture.accounts.merchant, owner: 'Steadfast Shop', balance: 0 },
  ]);
  await stockItems(store, [
    { sku: fixture.skus.widget, unitPrice: 1_250, quantity: 10 },
    { sku: fixture.skus.gadget, unitPrice: 4_999, quantity: 3 },
  ]);
  return fixture;
}

/**
 * Alice's order of 2 widgets and 1 gadget (74.99), paid to the shop and shipped to her address;
 * `overrides` replace any field.
 */
export function sampleOrder(f: FinanceFixture, orderId: string, overrides: Partial<OrderFulfillmentInput> = {}): OrderFulfillmentInput {
  return {
    orderId,
    customerEmail: 'alice@example.com',
    paymentAccount: f.accounts.alice,
    merchantAccount: f.accounts.merchant,
    items: [
      { sku: f.skus.widget, quantity: 2 },
      { sku: f.skus.gadget, quantity: 1 },
    ],
    shippingAddress: '1 Market Street, Springfield',
    ...overrides,
  };
}
