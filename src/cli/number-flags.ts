/** Parsers of the CLI's number flags: a bad value is commander's usage error, naming the flag. */
import { InvalidArgumentError } from 'commander';

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number above 0');
  return n;
}

export function wholeNumber(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number, ${min} or more`);
    return n;
  };
}
