/**
 * The simulated bank and card processor behind `orderFulfillment` (charge, refund) and
 * `moneyTransfer` (withdraw, deposit and their reversals).
 *
 * Money is integer cents and never appears or vanishes: every posting is a set of ledger legs that
 * sum to zero, applied to the balances in the same transaction. A transfer parks the money in the
 * bank's clearing account between the withdrawal and the deposit, so the sum of all balances equals
 * the sum of the opening deposits at every instant, even mid-transfer or after a crash.
 *
 * Each call applies its effect exactly once per idempotency key, as card APIs do; reusing a key
 * with different fields is rejected. Business rejections are non-retryable with stable types.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parseOrReject, applyEffect, compensateEffect, reject, type CompensationOutcome, type EffectStore, type StoreTx } from 'steadfast/activity';
import { RejectionType } from '../contracts/rejections';
import { checkedCents, MAX_AMOUNT_CENTS } from '../contracts/money';

/** The bank's own account where money in transit between a withdrawal and a deposit waits. */
export const CLEARING_ACCOUNT = 'bank:clearing';

/** Ledger entry kinds. A reversal's entries carry `ref` = the key of the entries they reverse. */
export const LedgerKind = {
  opening: 'opening',
  charge: 'charge',
  refund: 'refund',
  withdrawal: 'withdrawal',
  withdrawalReversal: 'withdrawal-reversal',
  deposit: 'deposit',
  depositReversal: 'deposit-reversal',
} as const;

export const BANK_DDL = [
  `CREATE TABLE IF NOT EXISTS bank_accounts (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     status TEXT NOT NULL,
     balance BIGINT NOT NULL,
     created_at TEXT NOT NULL
   )`,
  // No unique constraint on key: exactly-once is the effect store's job, and verify() checks it.
  `CREATE TABLE IF NOT EXISTS bank_ledger (
     id TEXT PRIMARY KEY,
     key TEXT NOT NULL,
     account_id TEXT NOT NULL,
     amount BIGINT NOT NULL,
     kind TEXT NOT NULL,
     ref TEXT,
     created_at TEXT NOT NULL
   )`,
  'CREATE INDEX IF NOT EXISTS bank_ledger_key ON bank_ledger (key)',
  'CREATE INDEX IF NOT EXISTS bank_ledger_ref ON bank_ledger (ref)',
  // One row per transfer id: the bank runs a transfer once, whichever run (and key) submits it.
  `CREATE TABLE IF NOT EXISTS bank_transfers (
     transfer_id TEXT PRIMARY KEY,
     withdrawal_key TEXT NOT NULL,
     created_at TEXT NOT NULL
   )`,
  `INSERT INTO bank_accounts (id, owner, status, balance, created_at)
     VALUES ('${CLEARING_ACCOUNT}', 'bank', 'active', 0, '1970-01-01T00:00:00.000Z')
     ON CONFLICT (id) DO NOTHING`,
];

const key = z.string().min(1, 'expected a non-empty idempotency key');
const accountId = z.string().min(1, 'expected an account id');
const cents = z
  .number()
  .int('expected whole cents')
  .positive('expected a positive amount in cents')
  .max(MAX_AMOUNT_CENTS, `expected at most ${MAX_AMOUNT_CENTS} cents`);

const chargeSchema = z.object({ key, orderId: z.string().min(1), account: accountId, merchantAccount: accountId, amount: cents });
const moveSchema = z.object({ key, transferId: z.string().min(1), account: accountId, amount: cents });
const undoPaymentSchema = z.object({ key, paymentKey: key });
const undoWithdrawalSchema = z.object({ key, withdrawalKey: key });
const undoDepositSchema = z.object({ key, depositKey: key });

/** Charge a customer's card (account) for an order; the money goes to the merchant's account. */
export type ChargePaymentRequest = z.infer<typeof chargeSchema>;
/** Move money out of (withdraw) or into (deposit) an account, for a transfer. */
export type MoveMoneyRequest = z.infer<typeof moveSchema>;

/** One leg of a posting: a signed amount on one account. */
interface Leg {
  account: string;
  amount: number;
  /** Refuse the posting if the account would go below zero. */
  guarded?: boolean;
}

interface AccountRow {
  id: string;
  status: string;
  balance: number | string;
}

async function account(tx: StoreTx, id: string): Promise<AccountRow> {
  const row = await tx.get<AccountRow>('SELECT id, status, balance FROM bank_accounts WHERE id = ?', [id]);
  return row ?? reject(RejectionType.invalidAccount, `account "${id}" does not exist`, { account: id });
}

/** Posts legs that sum to zero; returns the id of the first leg. Throws (rolling back) on a guarded overdraft. */
async function post(tx: StoreTx, key: string, kind: string, legs: Leg[], ref: string | null = null): Promise<string> {
  if (legs.reduce((sum, l) => sum + l.amount, 0) !== 0) throw new Error(`unbalanced ${kind} posting for ${key}`);
  const now = new Date().toISOString();
  const ids: string[] = [];
  for (const leg of legs) {
    const changed = leg.guarded
      ? await tx.run('UPDATE bank_accounts SET balance = balance + ? WHERE id = ? AND balance + ? >= 0', [
          leg.amount,
          leg.account,
          leg.amount,
        ])
      : await tx.run('UPDATE bank_accounts SET balance = balance + ? WHERE id = ?', [leg.amount, leg.account]);
    if (changed.changes !== 1) {
      const row = await account(tx, leg.account);
      const balance = checkedCents(row.balance, `balance of ${leg.account}`);
      reject(RejectionType.insufficientFunds, `account "${leg.account}" has ${balance} cents, ${-leg.amount} needed`, {
        account: leg.account,
        balance,
        needed: -leg.amount,
      });
    }
    const id = randomUUID();
    ids.push(id);
    await tx.run(
      'INSERT INTO bank_ledger (id, key, account_id, amount, kind, ref, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [id, key, leg.account, leg.amount, kind, ref, now],
    );
  }
  return ids[0];
}

/** Reverses every entry of `kind` posted under `forwardKey`; false when there is none (the step never happened). */
async function reverse(tx: StoreTx, key: string, forwardKey: string, kind: string, reversalKind: string): Promise<boolean> {
  const entries = await tx.all<{ account_id: string; amount: number | string }>(
    'SELECT account_id, amount FROM bank_ledger WHERE key = ? AND kind = ? ORDER BY amount',
    [forwardKey, kind],
  );
  if (entries.length === 0) return false;
  // Unguarded: a reversal is owed and may overdraw (the bank then collects), so it cannot fail on funds.
  const legs = entries.map((e) => ({ account: e.account_id, amount: -checkedCents(e.amount, `ledger amount under ${forwardKey}`) }));
  await post(tx, key, reversalKind, legs, forwardKey);
  return true;
}

/**
 * Claims `transferId` for the withdrawal under `key`, or refuses with `AlreadySubmitted` when
 * another key (another run, say one that reused the workflow id) already submitted it: the bank
 * runs a transfer once. Inside the withdrawal's transaction, so a refused or failed withdrawal
 * claims nothing. Concurrent claims collide on the primary key; the loser's retry is refused.
 */
async function claimTransfer(tx: StoreTx, transferId: string, key: string): Promise<void> {
  const claimed = await tx.get<{ withdrawal_key: string }>('SELECT withdrawal_key FROM bank_transfers WHERE transfer_id = ?', [transferId]);
  if (claimed && claimed.withdrawal_key !== key) {
    reject(
      RejectionType.alreadySubmitted,
      `transfer "${transferId}" was already submitted by another run; its effects stand. To move money again, use a new transfer id`,
      { transferId },
    );
  }
  if (!claimed) {
    await tx.run('INSERT INTO bank_transfers (transfer_id, withdrawal_key, created_at) VALUES (?, ?, ?)', [transferId, key, new Date().toISOString()]);
  }
}

async function usable(tx: StoreTx, id: string, frozen: () => never): Promise<void> {
  const row = await account(tx, id);
  if (row.status !== 'active') frozen();
}

/** An account to open when seeding the bank. */
export interface OpenAccount {
  id: string;
  owner: string;
  /** Opening balance in cents; part of the seeded total that verify() checks money against. */
  balance: number;
  /** `frozen`: its card is declined and transfers are refused. Default `active`. */
  status?: 'active' | 'frozen';
}

/**
 * Opens accounts with their opening balances (an `opening` ledger entry each), exactly once per
 * account id. For tests, the demo and benchmarks; not an activity.
 */
export async function openAccounts(store: EffectStore, accounts: OpenAccount[]): Promise<void> {
  for (const a of accounts) {
    if (!Number.isSafeInteger(a.balance) || a.balance < 0) {
      throw new Error(`openAccounts: balance of "${a.id}" must be whole, non-negative cents, got ${a.balance}`);
    }
    await applyEffect(store, `bank/open/${a.id}`, a, async (tx) => {
      await tx.run('INSERT INTO bank_accounts (id, owner, status, balance, created_at) VALUES (?, ?, ?, 0, ?)', [
        a.id,
        a.owner,
        a.status ?? 'active',
        new Date().toISOString(),
      ]);
      // An opening deposit is the one posting that creates money: it is what "seeded" means.
      await tx.run('UPDATE bank_accounts SET balance = ? WHERE id = ?', [a.balance, a.id]);
      await tx.run(
        'INSERT INTO bank_ledger (id, key, account_id, amount, kind, ref, created_at) VALUES (?, ?, ?, ?, ?, NULL, ?)',
        [randomUUID(), `bank/open/${a.id}`, a.id, a.balance, LedgerKind.opening, new Date().toISOString()],
      );
    });
  }
}

/** Every account's balance in cents. */
export async function balances(store: Pick<StoreTx, 'all'>): Promise<Record<string, number>> {
  const rows = await store.all<{ id: string; balance: number | string }>('SELECT id, balance FROM bank_accounts ORDER BY id');
  return Object.fromEntries(rows.map((r) => [r.id, checkedCents(r.balance, `balance of ${r.id}`)]));
}

export function createBankActivities(store: EffectStore) {
  /** Half of a transfer: money between `account` and the clearing account, in the direction of `kind`. */
  function move(activity: 'withdraw' | 'deposit', request: MoveMoneyRequest): Promise<string> {
    const req = parseOrReject(`${activity} request`, moveSchema, request);
    return applyEffect(store, req.key, req, async (tx) => {
      await usable(tx, req.account, () =>
        reject(RejectionType.accountFrozen, `account "${req.account}" is frozen`, { account: req.account }),
      );
      if (activity === 'withdraw') await claimTransfer(tx, req.transferId, req.key);
      return activity === 'withdraw'
        ? post(tx, req.key, LedgerKind.withdrawal, [
            { account: req.account, amount: -req.amount, guarded: true },
            { account: CLEARING_ACCOUNT, amount: req.amount },
          ])
        : post(tx, req.key, LedgerKind.deposit, [
            { account: CLEARING_ACCOUNT, amount: -req.amount },
            { account: req.account, amount: req.amount },
          ]);
    });
  }

  /** A compensation that reverses the `kind` entries posted under `forwardKey`, if any. */
  async function undo(key: string, forwardKey: string, kind: string, reversalKind: string): Promise<{ outcome: CompensationOutcome }> {
    const outcome = await compensateEffect(store, 'bank', key, forwardKey, (tx) => reverse(tx, key, forwardKey, kind, reversalKind));
    return { outcome };
  }

  return {
    /**
     * Charges `amount` cents to the customer's card and credits the merchant. Rejects with
     * `InvalidAccount`, `CardDeclined` (card frozen) or `InsufficientFunds`.
     */
    async chargePayment(request: ChargePaymentRequest): Promise<{ paymentId: string; amount: number }> {
      const req = parseOrReject('chargePayment request', chargeSchema, request);
      if (req.account === req.merchantAccount) {
        reject(RejectionType.invalidRequest, 'invalid chargePayment request: account and merchantAccount must differ');
      }
      return applyEffect(store, req.key, req, async (tx) => {
        await usable(tx, req.account, () =>
          reject(RejectionType.cardDeclined, `card of account "${req.account}" was declined (account frozen)`, {
            account: req.account,
          }),
        );
        await account(tx, req.merchantAccount);
        const paymentId = await post(tx, req.key, LedgerKind.charge, [
          { account: req.account, amount: -req.amount, guarded: true },
          { account: req.merchantAccount, amount: req.amount },
        ]);
        return { paymentId, amount: req.amount };
      });
    },

    /** Compensation of `chargePayment`: refunds the charge made under `paymentKey`, if there was one. */
    async refundPayment(request: { key: string; paymentKey: string }): Promise<{ outcome: CompensationOutcome }> {
      const req = parseOrReject('refundPayment request', undoPaymentSchema, request);
      return undo(req.key, req.paymentKey, LedgerKind.charge, LedgerKind.refund);
    },

    /** Moves `amount` cents from the account to the bank's clearing account (first half of a transfer). */
    async withdraw(request: MoveMoneyRequest): Promise<{ withdrawalId: string }> {
      return { withdrawalId: await move('withdraw', request) };
    },

    /** Moves `amount` cents from the clearing account to the account (second half of a transfer). */
    async deposit(request: MoveMoneyRequest): Promise<{ depositId: string }> {
      return { depositId: await move('deposit', request) };
    },

    /** Compensation of `withdraw`: returns the money from clearing to the account, if it was withdrawn. */
    async reverseWithdrawal(request: { key: string; withdrawalKey: string }): Promise<{ outcome: CompensationOutcome }> {
      const req = parseOrReject('reverseWithdrawal request', undoWithdrawalSchema, request);
      return undo(req.key, req.withdrawalKey, LedgerKind.withdrawal, LedgerKind.withdrawalReversal);
    },

    /** Compensation of `deposit`: takes the money back from the account to clearing, if it was deposited. */
    async reverseDeposit(request: { key: string; depositKey: string }): Promise<{ outcome: CompensationOutcome }> {
      const req = parseOrReject('reverseDeposit request', undoDepositSchema, request);
      return undo(req.key, req.depositKey, LedgerKind.deposit, LedgerKind.depositReversal);
    },
  };
}
