// The page's data: a synthetic set, or files the user dropped, as the train/test split the CLI would load.
// Dropped files go through the CLI's own loader (loadData with the files' texts as the file system), so a
// bad file gives the page exactly the message `wgtrain train --data FILE` prints, and a single file is
// split into train and test the same way.

import type { DataSplit } from '../data/dataset.ts';
import { InputError } from '../data/dataset.ts';
import { loadData } from '../data/load.ts';
import { SYNTHETIC_SETS, makeSyntheticSplit } from '../data/synthetic.ts';
import type { DataChoice } from './config.ts';

/** Texts of the files the user gave the page, by file name. */
export type FileTexts = ReadonlyMap<string, string>;

const DATA_FILE = /\.(csv|json)$/i;
const TEST_FILE = /\.test\.(csv|json)$/i;

/** The split for a data choice; throws InputError (one line, naming the file, line and field) when the data is bad. */
export function loadSplit(choice: DataChoice, files: FileTexts): DataSplit {
  if (choice.kind === 'synthetic') {
    const set = SYNTHETIC_SETS[choice.name];
    const classes = set?.variableClasses && choice.classes !== null ? choice.classes : undefined;
    const { trainSize, testSize, noise, seed } = choice;
    return makeSyntheticSplit(choice.name, { trainSize, testSize, noise, seed, classes });
  }
  const readFile = (name: string): string => {
    const text = files.get(name);
    if (text === undefined) throw Object.assign(new Error(`${name}: no such file`), { code: 'ENOENT' });
    return text;
  };
  return choice.test === null
    ? loadData({ data: choice.train, split: choice.split, seed: choice.seed }, readFile)
    : loadData({ data: choice.train, test: choice.test, seed: choice.seed }, readFile);
}

/** What else reproduces the page's data in model.json's training record: a synthetic set's noise and seed (the CLI's --noise, --data-seed). */
export function dataRecord(choice: DataChoice): Record<string, unknown> | undefined {
  return choice.kind === 'synthetic' ? { noise: choice.noise, dataSeed: choice.seed } : undefined;
}

/**
 * Which dropped files are the training and the test file: one file is split; two are a training file and
 * its test file, the test file named NAME.test.csv (what `wgtrain data --out NAME.csv` writes) or with
 * "test" in its name.
 */
export function pickDataFiles(names: readonly string[]): { train: string; test: string | null } {
  const bad = names.find((n) => !DATA_FILE.test(n));
  if (bad !== undefined) throw new InputError(`${bad}: a data file must end in .csv or .json`);
  if (names.length === 1) return { train: names[0], test: null };
  if (names.length === 2) {
    const byName = names.findIndex((n) => TEST_FILE.test(n));
    const index = byName >= 0 ? byName : names.findIndex((n) => /test/i.test(n));
    if (index >= 0 && !/test/i.test(names[1 - index])) return { train: names[1 - index], test: names[index] };
  }
  throw new InputError(`${names.join(', ')}: give one data file, or a training file and its test file (NAME.csv and NAME.test.csv)`);
}
