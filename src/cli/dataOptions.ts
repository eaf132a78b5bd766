// The data options shared by train, eval and gradcheck, and their translation into a LoadSpec.

import { Option, type Command } from 'commander';
import { SYNTHETIC_NAMES, SYNTHETIC_SETS } from '../data/synthetic.ts';
import type { LoadSpec } from '../data/load.ts';
import { nonNegativeInt, nonNegativeNumber, openUnitInterval, positiveInt } from './options.ts';

export interface DataOptions {
  data: string;
  test?: string;
  split?: number;
  trainSize?: number;
  testSize?: number;
  noise?: number;
  dataSeed: number;
  classes?: number;
  standardize?: boolean;
}

export function addDataOptions(command: Command, defaultData: string | undefined = 'rings5'): Command {
  return command
    .addOption(
      new Option('--data <name|file>', `data set: ${SYNTHETIC_NAMES.join(', ')}, mnist, or a .csv/.json file`).default(defaultData),
    )
    .option('--test <file>', 'test set file for a .csv/.json --data (else --split of it is held out)')
    .option('--split <fraction>', 'fraction of a data file held out for testing when there is no --test (default 0.2)', openUnitInterval)
    .option('--train-size <n>', 'training samples of a synthetic set (400) or of mnist (8000)', positiveInt)
    .option('--test-size <n>', 'test samples of a synthetic set (100) or of mnist (2000)', nonNegativeInt)
    .option('--noise <x>', 'noise multiplier of a synthetic set (1)', nonNegativeNumber)
    .option('--classes <n>', 'number of classes of a data file, spiral or blobs', positiveInt)
    .option('--data-seed <n>', 'seed of the synthetic draw, the mnist shuffle or the hold-out split', nonNegativeInt, 1);
}

/** What else reproduces a synthetic set (its noise and seed), for model.json's training record; undefined for files. */
export function syntheticDataRecord(o: DataOptions): Record<string, unknown> | undefined {
  return Object.hasOwn(SYNTHETIC_SETS, o.data) ? { noise: o.noise ?? SYNTHETIC_SETS[o.data].noise, dataSeed: o.dataSeed } : undefined;
}

export function loadSpecFrom(o: DataOptions): LoadSpec {
  return {
    data: o.data,
    test: o.test,
    split: o.split,
    trainSize: o.trainSize,
    testSize: o.testSize,
    noise: o.noise,
    seed: o.dataSeed,
    classes: o.classes,
  };
}
