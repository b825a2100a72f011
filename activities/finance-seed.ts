/**
 * A small bank and warehouse to run the finance workflows against: the tests, the demo, the
 * recorded scenarios and the chaos harness seed the store with it.
 */
import { balances, openAccounts } from './bank';
import { stockItems, stockLevels } from './inventory';
import type { EffectStore } from 'steadfast/activity';
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

const cents = (n: number) => (n / 100).toFixed(2);

/**
 * `steadfast seed`: the fixture's accounts and stock (with `-<tag>` on every id), and what to show
 * of them.
 */
export async function seedForCli(store: EffectStore, opts: { tag?: string }): Promise<{ json: Record<string, unknown>; text: string }> {
  const fixture = await seedFinance(store, opts.tag);
  const [money, stock] = await Promise.all([balances(store), stockLevels(store)]);
  const accounts = Object.fromEntries(Object.entries(fixture.accounts).map(([name, id]) => [name, { id, balance: money[id] }]));
  const skus = Object.fromEntries(Object.entries(fixture.skus).map(([name, sku]) => [name, { sku, available: stock[sku].available }]));
  const json = { store: `${store.kind}:${store.location}`, ...(opts.tag ? { tag: opts.tag } : {}), accounts, skus };
  const lines = [
    `seeded ${json.store}`,
    ...Object.entries(accounts).map(([name, a]) => `  account ${a.id.padEnd(24)} ${name}, balance ${cents(a.balance)}`),
    ...Object.entries(skus).map(([name, s]) => `  sku     ${s.sku.padEnd(24)} ${name}, ${s.available} on the shelf`),
  ];
  return { json, text: lines.join('\n') };
}
