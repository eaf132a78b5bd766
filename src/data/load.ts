// The one place the CLI gets its data from: a synthetic set, MNIST, or CSV/JSON files, always as a
// train/test split. Also the CSV export of a split (NAME.csv and NAME.test.csv).

import { makeRng, permutation } from '../random.ts';
import { type DataSplit, type Dataset, InputError, selectSamples } from './dataset.ts';
import { parseCsv, toCsv } from './csv.ts';
import { parseJsonData } from './json.ts';
import { loadMnist } from './mnist.ts';
import { nodeFs } from './node.ts';
import { SYNTHETIC_NAMES, SYNTHETIC_SETS, makeSyntheticSplit } from './synthetic.ts';

/** What to load. Options that do not apply to the chosen source are rejected rather than ignored. */
export interface LoadSpec {
  /** A synthetic set name (rings5, spiral, ...), "mnist", or the path of a .csv or .json data file. */
  data: string;
  /** A .csv or .json test file to go with a data file; without it, `split` of the data file is held out. */
  test?: string;
  /** Fraction of a data file held out as the test set when there is no test file, in (0, 1); default 0.2. */
  split?: number;
  /** Training samples of a synthetic set (default 400) or of MNIST (default 8000). */
  trainSize?: number;
  /** Test samples of a synthetic set (default 100) or of MNIST (default 2000). */
  testSize?: number;
  /** Noise multiplier of a synthetic set (default 1). */
  noise?: number;
  /** Seed of the synthetic draw, of the MNIST shuffle, or of the hold-out split of a data file; default 1. */
  seed?: number;
  /** Classes of data files (every label below it; default the largest label + 1), or of spiral and blobs. */
  classes?: number;
}

/** Reads a text file; throws an error with code "ENOENT" when it does not exist (like fs.readFileSync). */
export type ReadFile = (path: string) => string;

const FILE = /\.(csv|json)$/i;

/**
 * Loads the train/test split described by spec. Files are read with readFile (default: fs, Node only);
 * a missing one is `InputError("train.csv: no such file")`. A data file without a test file is split by
 * a seeded shuffle: round(split * size) samples, kept in file order, become the test set
 * ("NAME (test)"). With a test file, both must have the same inputs; classes is the larger of the two
 * files' unless spec.classes is given.
 */
const defaultReadFile: ReadFile = (path) => nodeFs().readFileSync(path, 'utf8');

export function loadData(spec: LoadSpec, readFile: ReadFile = defaultReadFile): DataSplit {
  const { data, seed = 1 } = spec;
  if (FILE.test(data)) {
    rejectOptions(spec, 'a data file', ['trainSize', 'testSize', 'noise']);
    const train = readDataFile(data, spec.classes, readFile);
    if (spec.test === undefined) return holdOut(train, spec.split ?? 0.2, seed);
    rejectOptions(spec, 'a data file with a test file', ['split']);
    if (!FILE.test(spec.test)) throw new InputError(`${spec.test}: a test file must end in .csv or .json`);
    return agreeClasses(train, readDataFile(spec.test, spec.classes, readFile));
  }
  if (data === 'mnist') {
    rejectOptions(spec, 'mnist', ['test', 'split', 'noise', 'classes']);
    return loadMnist({ trainSize: spec.trainSize, testSize: spec.testSize, seed });
  }
  if (Object.hasOwn(SYNTHETIC_SETS, data)) {
    rejectOptions(spec, 'a synthetic set', ['test', 'split']);
    const { trainSize, testSize, noise, classes } = spec;
    return makeSyntheticSplit(data, { trainSize, testSize, noise, seed, classes });
  }
  throw new InputError(`unknown data "${data}": expected one of ${[...SYNTHETIC_NAMES, 'mnist'].join(', ')}, or a .csv or .json file`);
}

/** Throws when spec sets any of keys, which mean nothing for `what`. */
function rejectOptions(spec: LoadSpec, what: string, keys: (keyof LoadSpec)[]): void {
  const given = keys.filter((key) => spec[key] !== undefined);
  if (given.length > 0) throw new InputError(`${spec.data}: ${given.join(', ')} cannot be used with ${what}`);
}

/** Reads one whole .csv or .json data file (no split); a missing file is `InputError("PATH: no such file")`. */
export function readDataFile(path: string, classes?: number, readFile: ReadFile = defaultReadFile): Dataset {
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${path}: no such file`);
    throw new InputError(`${path}: cannot read: ${code ?? (e as Error).message}`);
  }
  return /\.csv$/i.test(path) ? parseCsv(text, path, { classes }) : parseJsonData(text, path, { classes });
}

/** Holds out round(fraction * size) samples, chosen by a seeded shuffle, as the test set. */
function holdOut(data: Dataset, fraction: number, seed: number): DataSplit {
  if (!(fraction > 0 && fraction < 1)) throw new InputError(`${data.name}: split must be between 0 and 1, got ${fraction}`);
  const testSize = Math.round(fraction * data.size);
  if (testSize === 0 || testSize === data.size) {
    const empty = testSize === 0 ? 'test' : 'training';
    throw new InputError(`${data.name}: a split of ${fraction} of ${data.size} samples leaves the ${empty} set empty`);
  }
  const order = permutation(data.size, makeRng(seed));
  // Typed-array sort is numeric: each side keeps the file's order.
  return {
    train: selectSamples(data, order.slice(testSize).sort()),
    test: selectSamples(data, order.slice(0, testSize).sort(), `${data.name} (test)`),
  };
}

function hasDefaultNames(data: Dataset): boolean {
  return data.classNames.every((name, c) => name === String(c));
}

/** Gives a training file and a test file the same inputs, class count and class names, or throws. */
function agreeClasses(train: Dataset, test: Dataset): DataSplit {
  if (train.inputs !== test.inputs) {
    throw new InputError(`${train.name} has ${train.inputs} inputs per sample but ${test.name} has ${test.inputs}`);
  }
  const classes = Math.max(train.classes, test.classes);
  const named = [train, test].filter((d) => !hasDefaultNames(d)); // files with their own classNames
  for (const d of named) {
    if (d.classes !== classes) throw new InputError(`${d.name}: classNames names ${d.classes} classes, but the data has ${classes}`);
  }
  if (named.length === 2 && named[0].classNames.join('\n') !== named[1].classNames.join('\n')) {
    throw new InputError(`${train.name} and ${test.name} give different classNames`);
  }
  const classNames = named[0]?.classNames ?? Array.from({ length: classes }, (_, c) => String(c));
  return { train: { ...train, classes, classNames }, test: { ...test, classes, classNames } };
}

/** The CSV texts of both sides of a split (toCsv with header): write them as NAME.csv and testCsvPath(NAME.csv). */
export function splitToCsv(split: DataSplit): { train: string; test: string } {
  return { train: toCsv(split.train), test: toCsv(split.test) };
}

/**
 * Where an exported split's test part goes: next to the training file, "out/rings5.csv" ->
 * "out/rings5.test.csv". Load the pair back with {data: "out/rings5.csv", test: "out/rings5.test.csv"}.
 */
export function testCsvPath(trainPath: string): string {
  return `${trainPath.replace(/\.csv$/i, '')}.test.csv`;
}
