/**
 * `moneyTransfer`: the transfer saga.
 *
 *   withdraw (from → clearing) ──► deposit (clearing → to)
 *          │                              │
 *   reverseWithdrawal ◄──────────── reverseDeposit
 *   (clearing → from)               (to → clearing)
 *
 * The money waits in the bank's clearing account between the two steps, so the sum of all balances
 * never changes, whatever happens in between. A rejected deposit (InvalidAccount, AccountFrozen),
 * a deposit that exhausted its retries or timed out, or a cancellation reverses the transfer.
 */
import { proxyActivities } from '@temporalio/workflow';
import { z } from 'zod';
import type { Activities } from '../activities';
import { TransferStep } from '../contracts/finance-steps';
import { stepKey, serviceCall, Saga, parseOrReject } from 'steadfast/workflow';
import { MAX_AMOUNT_CENTS } from '../contracts/money';

/**
 * The schema of {@link MoneyTransferInput}, strict (an unknown key is an error): the workflow checks its input with it before any step,
 * and the CLI (`client/schemas/money-transfer.ts`) checks `--input` with it before it starts a run.
 */
export const moneyTransferInputSchema = z
  .object({
    transferId: z.string().min(1, 'expected a transfer id'),
    fromAccount: z.string().min(1, 'expected the account to debit'),
    toAccount: z.string().min(1, 'expected the account to credit'),
    amount: z
      .number()
      .int('expected whole cents')
      .positive('expected a positive amount in cents')
      .max(MAX_AMOUNT_CENTS, `expected at most ${MAX_AMOUNT_CENTS} cents`)
      .describe('in cents'),
    compensation: z.enum(['reverse', 'parallel']).optional(),
  })
  .strict()
  .refine((t) => t.fromAccount !== t.toAccount, { path: ['toAccount'], message: 'expected an account other than fromAccount' });

/** A transfer between two accounts of the bank. */
export interface MoneyTransferInput {
  transferId: string;
  fromAccount: string;
  toAccount: string;
  /** In cents. */
  amount: number;
  /** How to compensate when the transfer cannot complete: `reverse` (default) or `parallel`. */
  compensation?: 'reverse' | 'parallel';
}

/** A completed transfer. */
export interface MoneyTransferResult {
  transferId: string;
  amount: number;
  withdrawalId: string;
  depositId: string;
}

const { withdraw, deposit } = proxyActivities<Activities>(serviceCall);

export async function moneyTransfer(input: MoneyTransferInput): Promise<MoneyTransferResult> {
  const t = parseOrReject('moneyTransfer input', moneyTransferInputSchema, input);
  const withdrawalKey = stepKey(TransferStep.withdraw);
  const depositKey = stepKey(TransferStep.deposit);
  const saga = new Saga<Activities>({ order: t.compensation });
  return saga.run(async () => {
    const { withdrawalId } = await saga.step(
      'withdraw',
      () => withdraw({ key: withdrawalKey, transferId: t.transferId, account: t.fromAccount, amount: t.amount }),
      { activity: 'reverseWithdrawal', args: [{ key: stepKey(TransferStep.reverseWithdrawal), withdrawalKey }] },
    );
    const { depositId } = await saga.step(
      'deposit',
      () => deposit({ key: depositKey, transferId: t.transferId, account: t.toAccount, amount: t.amount }),
      { activity: 'reverseDeposit', args: [{ key: stepKey(TransferStep.reverseDeposit), depositKey }] },
    );
    return { transferId: t.transferId, amount: t.amount, withdrawalId, depositId };
  });
}
