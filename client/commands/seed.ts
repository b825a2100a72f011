/**
 * `steadfast seed`: opens the simulated bank's accounts and stocks the simulated warehouse in the
 * effect store (STEADFAST_STORE), from the fixture in `activities/finance-seed.ts`, so that
 * `orderFulfillment` and `moneyTransfer` runs started from the CLI have accounts and SKUs to work
 * on (the registry's example inputs use them). Each account and SKU is created once: seeding
 * again changes nothing. It needs no Temporal server.
 */
import type * as ActivitiesModule from '../../activities';
import type * as BankModule from '../../activities/bank';
import type * as FinanceSeedModule from '../../activities/finance-seed';
import type * as InventoryModule from '../../activities/inventory';
import type * as StoreModule from '../../activities/store';
import type { SteadfastConfig } from '../../platform/config';
import { ok, type CommandOutput } from './output';

/* The store drivers are native modules that the other commands do not need: required on use. */
/* eslint-disable @typescript-eslint/no-require-imports */
const activities = () => require('../../activities') as typeof ActivitiesModule;
const bank = () => require('../../activities/bank') as typeof BankModule;
const financeSeed = () => require('../../activities/finance-seed') as typeof FinanceSeedModule;
const inventory = () => require('../../activities/inventory') as typeof InventoryModule;
const storeModule = () => require('../../activities/store') as typeof StoreModule;
/* eslint-enable @typescript-eslint/no-require-imports */

const cents = (n: number) => (n / 100).toFixed(2);

/** `steadfast seed [--tag <tag>]`: the fixture's accounts and stock, with `-<tag>` on every id. */
export async function seed(config: SteadfastConfig, opts: { tag?: string }): Promise<CommandOutput> {
  const store = storeModule().openStore(config.storeUrl);
  try {
    await activities().prepareStore(store);
    const fixture = await financeSeed().seedFinance(store, opts.tag);
    const [money, stock] = await Promise.all([bank().balances(store), inventory().stockLevels(store)]);
    const accounts = Object.fromEntries(Object.entries(fixture.accounts).map(([name, id]) => [name, { id, balance: money[id] }]));
    const skus = Object.fromEntries(Object.entries(fixture.skus).map(([name, sku]) => [name, { sku, available: stock[sku].available }]));
    const json = { store: `${store.kind}:${store.location}`, ...(opts.tag ? { tag: opts.tag } : {}), accounts, skus };
    const lines = [
      `seeded ${json.store}`,
      ...Object.entries(accounts).map(([name, a]) => `  account ${a.id.padEnd(24)} ${name}, balance ${cents(a.balance)}`),
      ...Object.entries(skus).map(([name, s]) => `  sku     ${s.sku.padEnd(24)} ${name}, ${s.available} on the shelf`),
    ];
    return ok(json, lines.join('\n'));
  } finally {
    await store.close();
  }
}
