// Option value parsers for commander: each rejects bad text with a message naming the option.

import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_OPTIMIZER } from '../cpu/optimizer.ts';

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

/** The optimizer's settings besides its kind and learning rate (train and sweep). */
export function addOptimizerSettings(command: Command): Command {
  const o = DEFAULT_OPTIMIZER;
  return command
    .option('--momentum <mu>', 'momentum coefficient', openUnitInterval, o.momentum)
    .option('--beta1 <b>', "Adam's first-moment decay", openUnitInterval, o.beta1)
    .option('--beta2 <b>', "Adam's second-moment decay", openUnitInterval, o.beta2)
    .option('--epsilon <e>', "Adam's epsilon", positiveNumber, o.epsilon)
    .option('--weight-decay <wd>', 'L2 weight decay on weights (not biases)', nonNegativeNumber, o.weightDecay);
}
