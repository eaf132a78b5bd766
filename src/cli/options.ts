// Option value parsers for commander: each rejects bad text with a message naming the option.

import { InvalidArgumentError } from 'commander';

export function positiveInt(text: string): number {
  const v = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(v) || v < 1) throw new InvalidArgumentError(`"${text}" is not a positive integer`);
  return v;
}

export function nonNegativeInt(text: string): number {
  const v = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(v)) throw new InvalidArgumentError(`"${text}" is not a non-negative integer`);
  return v;
}

export function positiveNumber(text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`"${text}" is not a positive number`);
  return v;
}

export function nonNegativeNumber(text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0) throw new InvalidArgumentError(`"${text}" is not a non-negative number`);
  return v;
}

/** A number strictly between 0 and 1 (fractions, decay rates). */
export function openUnitInterval(text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !(v > 0 && v < 1)) throw new InvalidArgumentError(`"${text}" is not a number between 0 and 1`);
  return v;
}
