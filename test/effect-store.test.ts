/**
 * Exactly-once effects on the real stores (SQLite always, PostgreSQL when configured): the
 * store's `once`, the simulated services built on it, and `verifyStore`. No Temporal server here:
 * the activities are called directly, as a worker would call them. In one process SQLite serializes
 * `once`, so calls issued together show deduplication of back-to-back calls; the two-process race is
 * the proof under real concurrency.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../activities';
import { balances } from '../activities/bank';
import { seedFinance, type FinanceFixture } from '../activities/finance-seed';
import { stockLevels } from '../activities/inventory';
import { IdempotencyKeyReusedError, type EffectStore } from '../src/activity/store';
import { verifyStore } from '../activities/verify';
import { RejectionType } from '../contracts/rejections';
import { storeBackends, type TempStore } from './stores';
import { uniqueId, waitUntil } from 'steadfast/testing';

const N = 16;

/** Asserts that `promise` rejects with a non-retryable ApplicationFailure of `type`; returns it. */
async function rejectsWith(promise: Promise<unknown>, type: string): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => assert.fail(`expected a ${type} rejection, but the call succeeded`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
  assert.equal(err.type, type, err.message);
  assert.equal(err.nonRetryable, true, `${type} must be non-retryable`);
  return err;
}

/** Resolves after `n` turns of the event loop (no timers: just lets other work interleave). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

async function count(store: EffectStore, sql: string, params: unknown[] = []): Promise<number> {
  return Number((await store.get<{ n: number | string }>(sql, params))?.n);
}

for (const backend of storeBackends) {
  describe(`effect store and services on ${backend.name}`, function () {
    let temp: TempStore;
    let store: EffectStore;
    let acts: ReturnType<typeof createActivities>;
    let f: FinanceFixture;

    before(function () {
      backend.require(this);
    });

    beforeEach(async function () {
      temp = await backend.open();
      store = temp.store;
      acts = createActivities(store);
      f = await seedFinance(store);
    });

    afterEach(async function () {
      await temp?.cleanup();
    });

    describe('once()', function () {
      it(`runs the effect once for ${N} duplicates issued together, and all of them get its result`, async function () {
        await store.run('CREATE TABLE IF NOT EXISTS t_once (id TEXT PRIMARY KEY, key TEXT NOT NULL)');
        const key = uniqueId('dup');
        let ran = 0;
        const results = await Promise.all(
          Array.from({ length: N }, (_, i) =>
            store.once(key, { amount: 5 }, async (tx) => {
              ran++;
              await tx.run('INSERT INTO t_once (id, key) VALUES (?, ?)', [`row-${i}`, key]);
              return `row-${i}`;
            }),
          ),
        );
        assert.equal(ran, 1, 'the effect ran once');
        assert.equal(await count(store, 'SELECT COUNT(*) AS n FROM t_once WHERE key = ?', [key]), 1);
        assert.equal(results.filter((r) => !r.replayed).length, 1, 'exactly one caller applied it');
        assert.equal(new Set(results.map((r) => r.value)).size, 1, 'every caller got the same recorded result');
      });

      it('yields one effect when duplicates race from two processes (two workers) on one key', async function () {
        await store.run('CREATE TABLE IF NOT EXISTS t_once (id TEXT PRIMARY KEY, key TEXT NOT NULL)');
        const key = uniqueId('dup2');
        const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures/once-racer.ts'), temp.url, key, String(N)], {
          stdio: ['pipe', 'pipe', 'inherit'],
        });
        try {
          const lines = readline.createInterface({ input: child.stdout });
          const output: string[] = [];
          lines.on('line', (l) => output.push(l));
          await waitUntil(() => output.includes('ready'), { what: 'the racing process to open the store' });
          child.stdin.end('go\n');
          const mine = await Promise.all(
            Array.from({ length: N }, (_, i) =>
              store.once(key, { amount: 7 }, async (tx) => {
                await tx.run('INSERT INTO t_once (id, key) VALUES (?, ?)', [`${key}-parent-${i}`, key]);
                return `parent-${i}`;
              }),
            ),
          );
          const [code] = (await once(child, 'exit')) as [number | null];
          assert.equal(code, 0, 'the racing process succeeded');
          const theirs = JSON.parse(output[1]) as { value: string; replayed: boolean }[];
          const all = [...mine, ...theirs];
          assert.equal(all.length, 2 * N);
          assert.equal(await count(store, 'SELECT COUNT(*) AS n FROM t_once WHERE key = ?', [key]), 1, 'one row');
          assert.equal(all.filter((r) => !r.replayed).length, 1, 'one application across both processes');
          assert.equal(new Set(all.map((r) => r.value)).size, 1, 'one result everywhere');
        } finally {
          if (child.exitCode === null) child.kill('SIGKILL');
        }
      });

      it('rejects a repeat with the same key and different request fields', async function () {
        const key = uniqueId('mismatch');
        await store.once(key, { amount: 5 }, async () => 'first');
        await assert.rejects(store.once(key, { amount: 6 }, async () => 'second'), (err: unknown) => {
          assert.ok(err instanceof IdempotencyKeyReusedError);
          assert.match(err.message, /already used with different request fields/);
          return true;
        });
        // Field order does not matter: the request is hashed canonically.
        const again = await store.once(key, { amount: 5 }, async () => 'third');
        assert.deepEqual(again, { value: 'first', replayed: true });
      });

      it('records nothing when the effect fails, so a retry applies it', async function () {
        await store.run('CREATE TABLE IF NOT EXISTS t_once (id TEXT PRIMARY KEY, key TEXT NOT NULL)');
        const key = uniqueId('rollback');
        await assert.rejects(
          store.once(key, {}, async (tx) => {
            await tx.run('INSERT INTO t_once (id, key) VALUES (?, ?)', [`${key}-a`, key]);
            throw new Error('the effect failed half way');
          }),
          /half way/,
        );
        assert.equal(await count(store, 'SELECT COUNT(*) AS n FROM t_once WHERE key = ?', [key]), 0, 'rolled back');
        assert.equal(await count(store, 'SELECT COUNT(*) AS n FROM steadfast_idempotency WHERE key = ?', [key]), 0);
        const retry = await store.once(key, {}, async () => 'applied');
        assert.deepEqual(retry, { value: 'applied', replayed: false });
      });
    });

    describe('services', function () {
      it(`charges once for ${N} concurrent duplicate chargePayment calls`, async function () {
        const req = { key: uniqueId('order-1/charge'), orderId: 'order-1', account: f.accounts.alice, merchantAccount: f.accounts.merchant, amount: 2_500 };
        const results = await Promise.all(Array.from({ length: N }, () => acts.chargePayment(req)));
        assert.equal(new Set(results.map((r) => r.paymentId)).size, 1, 'one payment id for every duplicate');
        assert.equal(await count(store, 'SELECT COUNT(*) AS n FROM bank_ledger WHERE key = ?', [req.key]), 2, 'two legs, once');
        const b = await balances(store);
        assert.equal(b[f.accounts.alice], 100_000 - 2_500);
        assert.equal(b[f.accounts.merchant], 2_500);
        assert.ok((await verifyStore(store)).ok);
      });

      it(`reserves stock once for ${N} concurrent duplicate reservations`, async function () {
        const req = { key: uniqueId('order-2/reserve'), orderId: 'order-2', items: [{ sku: f.skus.widget, quantity: 2 }] };
        const results = await Promise.all(Array.from({ length: N }, () => acts.reserveInventory(req)));
        assert.equal(new Set(results.map((r) => r.reservationId)).size, 1);
        assert.equal((await stockLevels(store))[f.skus.widget].available, 8);
        assert.equal(await count(store, 'SELECT COUNT(*) AS n FROM inventory_reservations WHERE key = ?', [req.key]), 1);
      });

      it('rejects a repeated key with a different amount as IdempotencyKeyReused, without a second effect', async function () {
        const req = { key: uniqueId('order-3/charge'), orderId: 'order-3', account: f.accounts.alice, merchantAccount: f.accounts.merchant, amount: 1_000 };
        await acts.chargePayment(req);
        const err = await rejectsWith(acts.chargePayment({ ...req, amount: 9_999 }), RejectionType.idempotencyKeyReused);
        assert.match(err.message, /already used with different request fields/);
        assert.equal((await balances(store))[f.accounts.alice], 99_000);
      });

      it('rejects business errors with stable, non-retryable types and leaves no partial effect', async function () {
        const before = { balances: await balances(store), stock: await stockLevels(store) };
        await rejectsWith(
          acts.reserveInventory({ key: uniqueId('r'), orderId: 'o', items: [{ sku: f.skus.widget, quantity: 1 }, { sku: f.skus.gadget, quantity: 4 }] }),
          RejectionType.outOfStock,
        );
        await rejectsWith(acts.reserveInventory({ key: uniqueId('r'), orderId: 'o', items: [{ sku: 'sku-nope', quantity: 1 }] }), RejectionType.unknownSku);
        const charge = (account: string, amount: number) =>
          acts.chargePayment({ key: uniqueId('c'), orderId: 'o', account, merchantAccount: f.accounts.merchant, amount });
        await rejectsWith(charge(f.accounts.carol, 100), RejectionType.cardDeclined);
        await rejectsWith(charge(f.accounts.bob, 50_001), RejectionType.insufficientFunds);
        await rejectsWith(charge('acct-nobody', 100), RejectionType.invalidAccount);
        await rejectsWith(acts.withdraw({ key: uniqueId('w'), transferId: 't', account: f.accounts.carol, amount: 1 }), RejectionType.accountFrozen);
        const bad = await rejectsWith(charge(f.accounts.alice, -5), RejectionType.invalidRequest);
        assert.match(bad.message, /amount: expected a positive amount in cents/);
        const badMail = await rejectsWith(acts.notifyCustomer({ key: uniqueId('n'), recipient: 'not-an-address', subject: 's', body: 'b' }), RejectionType.invalidRequest);
        assert.match(badMail.message, /recipient: expected an email address/);
        assert.deepEqual({ balances: await balances(store), stock: await stockLevels(store) }, before, 'nothing changed');
        // The OutOfStock reservation took its first line before failing on the second: rolled back.
        assert.equal(await count(store, 'SELECT COUNT(*) AS n FROM inventory_reservations'), 0);
        assert.ok((await verifyStore(store)).ok);
      });

      it('compensates a step that never happened as a no-op, and refuses that step afterwards', async function () {
        const chargeKey = uniqueId('order-4/charge');
        assert.deepEqual(await acts.refundPayment({ key: uniqueId('order-4/refund'), paymentKey: chargeKey }), { outcome: 'nothing-to-undo' });
        // A late attempt of the step (one that hung, then woke up) must not land after its undo.
        await rejectsWith(
          acts.chargePayment({ key: chargeKey, orderId: 'order-4', account: f.accounts.alice, merchantAccount: f.accounts.merchant, amount: 700 }),
          RejectionType.stepAlreadyCompensated,
        );
        assert.equal((await balances(store))[f.accounts.alice], 100_000);
        assert.equal(await count(store, 'SELECT COUNT(*) AS n FROM bank_ledger WHERE key = ?', [chargeKey]), 0);
      });

      /**
       * A step and its compensation forced both ways: the step lands, its compensation undoes it,
       * and a retry of the undone step (a reset run) is refused rather than answered with its
       * recorded result; or the compensation comes first (the step has not happened), and the step
       * is refused. Returns the charge it used and the refused late step's key.
       */
      const forcedBothWays = async (a: ReturnType<typeof createActivities>, prefix: string) => {
        const charge = (chargeKey: string, orderId: string) =>
          a.chargePayment({ key: chargeKey, orderId, account: f.accounts.alice, merchantAccount: f.accounts.merchant, amount: 100 });
        const landedKey = uniqueId(`${prefix}-landed/charge`);
        await charge(landedKey, `${prefix}-landed`);
        assert.deepEqual(await a.refundPayment({ key: uniqueId(`${prefix}-landed/refund`), paymentKey: landedKey }), { outcome: 'undone' });
        await rejectsWith(charge(landedKey, `${prefix}-landed`), RejectionType.stepAlreadyCompensated);
        const lateKey = uniqueId(`${prefix}-late/charge`);
        assert.deepEqual(await a.refundPayment({ key: uniqueId(`${prefix}-late/refund`), paymentKey: lateKey }), { outcome: 'nothing-to-undo' });
        await rejectsWith(charge(lateKey, `${prefix}-late`), RejectionType.stepAlreadyCompensated);
        return { charge, lateKey };
      };

      it('a step racing its own compensation either lands and is undone, or is refused: never lands after it', async function () {
        const { charge } = await forcedBothWays(acts, 'race');
        // Issued together: whichever order the store settles them in (SQLite serializes `once`;
        // PostgreSQL runs them concurrently), the outcome is one of the two above.
        const outcomes = await Promise.all(
          Array.from({ length: N }, async (_, i) => {
            const chargeKey = uniqueId(`race-${i}/charge`);
            const [charged, refund] = await Promise.allSettled([
              charge(chargeKey, `race-${i}`),
              turns(i % 2 ? 0 : 3 + (i % 5)).then(() => acts.refundPayment({ key: uniqueId(`race-${i}/refund`), paymentKey: chargeKey })),
            ]);
            assert.equal(refund.status, 'fulfilled', 'a compensation never fails on a race');
            if (charged.status === 'rejected') {
              assert.ok(charged.reason instanceof ApplicationFailure && charged.reason.type === RejectionType.stepAlreadyCompensated, String(charged.reason));
              return `refused after ${refund.value.outcome}`;
            }
            return `landed, then ${refund.value.outcome}`;
          }),
        );
        for (const o of outcomes) assert.ok(['landed, then undone', 'refused after nothing-to-undo'].includes(o), o);
        const b = await balances(store);
        assert.deepEqual([b[f.accounts.alice], b[f.accounts.merchant]], [100_000, 0], 'every charge that landed was refunded');
        assert.deepEqual((await verifyStore(store)).violations, []);
      });

      it("refuses a compensated step on a store of another make too, which ignores the lookup's tombstone guard", async function () {
        // Steadfast's stores read a key's tombstone in its own lookup; a store that passes only the
        // public options to once() gets the same refusals from applyEffect's own statements.
        const foreign: EffectStore = Object.assign(Object.create(store) as EffectStore, {
          once: ((key, request, effect, options) => store.once(key, request, effect, { owner: options?.owner })) as EffectStore['once'],
        });
        const { lateKey } = await forcedBothWays(createActivities(foreign), 'foreign');
        assert.equal(await count(store, 'SELECT COUNT(*) AS n FROM bank_ledger WHERE key = ?', [lateKey]), 0);
        assert.equal((await balances(store))[f.accounts.alice], 100_000);
      });

      it('undoes a landed step exactly once however often its compensation is retried', async function () {
        const chargeKey = uniqueId('order-5/charge');
        const refundKey = uniqueId('order-5/refund');
        await acts.chargePayment({ key: chargeKey, orderId: 'order-5', account: f.accounts.alice, merchantAccount: f.accounts.merchant, amount: 4_000 });
        const outcomes = await Promise.all(Array.from({ length: N }, () => acts.refundPayment({ key: refundKey, paymentKey: chargeKey })));
        assert.ok(outcomes.every((o) => o.outcome === 'undone'));
        const b = await balances(store);
        assert.equal(b[f.accounts.alice], 100_000);
        assert.equal(b[f.accounts.merchant], 0);
        assert.equal(await count(store, 'SELECT COUNT(*) AS n FROM bank_ledger WHERE key = ?', [refundKey]), 2);
        assert.ok((await verifyStore(store)).ok);
      });
    });

    describe('verifyStore', function () {
      it('passes on a consistent store and reports each kind of corruption', async function () {
        const clean = await verifyStore(store);
        assert.deepEqual(clean.violations, []);
        assert.equal(clean.stats.seededTotal, f.seededTotal);
        assert.equal(clean.stats.totalBalance, f.seededTotal);

        const key = uniqueId('order-6/charge');
        await acts.chargePayment({ key, orderId: 'order-6', account: f.accounts.alice, merchantAccount: f.accounts.merchant, amount: 300 });
        // A double posting that bypassed once(): same key, same legs again.
        const legs = await store.all<{ account_id: string; amount: number | string }>('SELECT account_id, amount FROM bank_ledger WHERE key = ?', [key]);
        for (const [i, leg] of legs.entries()) {
          await store.run("INSERT INTO bank_ledger (id, key, account_id, amount, kind, ref, created_at) VALUES (?, ?, ?, ?, 'charge', NULL, 'x')", [
            `dup-${i}`,
            key,
            leg.account_id,
            Number(leg.amount),
          ]);
        }
        // Money from nowhere, an effect without a key, and a stock count that does not add up.
        await store.run('UPDATE bank_accounts SET balance = balance + 1 WHERE id = ?', [f.accounts.bob]);
        await store.run(
          "INSERT INTO shipments (id, key, order_id, reservation_id, address, tracking_number, status, created_at, updated_at) VALUES ('s1', 'rogue/ship', 'o', 'res-none', 'a', 'T', 'created', 'x', 'x')",
        );
        await store.run('UPDATE inventory_items SET available = available - 1 WHERE sku = ?', [f.skus.gadget]);

        const report = await verifyStore(store);
        assert.equal(report.ok, false);
        const found = new Set(report.violations.map((v) => `${v.check} ${v.subject}`));
        for (const expected of [
          `key-applied-twice ${key}`,
          `ledger-mismatch ${f.accounts.bob}`,
          'money-not-conserved all accounts',
          'effect-without-key rogue/ship',
          'shipment-without-reservation rogue/ship',
          `stock-not-conserved ${f.skus.gadget}`,
        ]) {
          assert.ok(found.has(expected), `expected "${expected}" among ${[...found].join(', ')}`);
        }
      });

      it('flags runs that are not closed, and completed runs whose effects are missing', async function () {
        const report = await verifyStore(store, {
          runs: [
            { workflowId: 'order-7', workflowType: 'orderFulfillment', status: 'RUNNING' },
            { workflowId: 'order-8', workflowType: 'orderFulfillment', status: 'COMPLETED' },
          ],
        });
        assert.deepEqual(
          report.violations.map((v) => v.check),
          ['run-not-terminal', 'run-inconsistent', 'run-inconsistent', 'run-inconsistent', 'run-inconsistent'],
        );
      });
    });
  });
}
