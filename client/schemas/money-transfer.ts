/**
 * `moneyTransfer` for the CLI: its input is checked with the workflow's own schema
 * (`workflows/money-transfer.ts`), strict, so that a misspelt key is an error rather than
 * ignored. It handles no signals, queries or updates. The example uses accounts that
 * `steadfast seed` opens.
 */
import { moneyTransfer } from '../../workflows';
import { moneyTransferInputSchema } from '../../workflows/money-transfer';
import type { Activities } from '../../activities';
import { defineWorkflowType } from 'steadfast';

/** `moneyTransfer`'s entry in the workflow registry. */
export const moneyTransferType = defineWorkflowType({
  workflow: moneyTransfer,
  summary: 'finance saga: withdraw (to clearing), deposit; the withdrawal is reversed when the deposit fails or the transfer is cancelled',
  input: moneyTransferInputSchema,
  example: { transferId: 'transfer-1001', fromAccount: 'acct-alice', toAccount: 'acct-bob', amount: 12_345 },
  activities: ['withdraw', 'deposit', 'reverseWithdrawal', 'reverseDeposit'] satisfies (keyof Activities)[],
});
