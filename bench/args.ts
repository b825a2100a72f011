/** Command-line value parsers the benchmarks share (commander). */
import { InvalidArgumentError } from 'commander';

/** A positive whole number for the option `name`. */
export const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer; got "${v}"`);
  return n;
};
