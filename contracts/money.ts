/**
 * Money is integer cents, end to end. Sandbox-safe: workflows check their inputs with
 * {@link MAX_AMOUNT_CENTS}, activities read stored amounts through {@link checkedCents}.
 */

/**
 * The business maximum of one amount (a transfer, a charge, an order's total): 100 million in
 * the currency's major unit. Far below `Number.MAX_SAFE_INTEGER`, so sums of many amounts stay exact.
 */
export const MAX_AMOUNT_CENTS = 10_000_000_000;

/**
 * An amount read from the store (PostgreSQL returns BIGINT and SUM as strings) as a number of
 * cents, or an error when it is not a whole number that a JavaScript number holds exactly.
 * @param what names the value in the error, e.g. `"balance of acct-1"`.
 */
export function checkedCents(value: unknown, what: string): number {
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'string' ? Number(value.trim() || NaN) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || (typeof value === 'bigint' && BigInt(n) !== value)) {
    throw new RangeError(`${what}: expected a whole number of cents within ±${Number.MAX_SAFE_INTEGER}, got ${String(value)}`);
  }
  return n;
}

/**
 * `unitPrice × quantity` summed over lines, computed in BigInt, so no product is ever rounded.
 * Returns the total as a bigint; the caller compares it with {@link MAX_AMOUNT_CENTS}.
 */
export function lineTotal(lines: readonly { unitPrice: number; quantity: number }[]): bigint {
  return lines.reduce((sum, l) => sum + BigInt(l.unitPrice) * BigInt(l.quantity), 0n);
}

/** Cents as a decimal string with two places (`12345` → `"123.45"`), without floating point. */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
