// Deterministic 2-D classification sets. Every generator draws from makeRng(seed) only, so the same
// options give the same bytes on every platform. Labels are balanced: with K classes each class gets
// floor(size/K) samples and classes 0..(size mod K)-1 one more; samples come in a seeded random order.

import { makeRng, normal, permutation } from '../random.ts';
import { type DataSplit, type Dataset, InputError, makeDataset } from './dataset.ts';

export interface SyntheticOptions {
  /** Number of samples. */
  size: number;
  /** Multiplier on the set's own noise levels: 1 is the documented distribution, 0 removes the noise. */
  noise: number;
  seed: number;
  /** Number of classes, for the sets that take one (spiral, blobs); the others have a fixed count. */
  classes?: number;
}

export type SyntheticGenerator = (options: SyntheticOptions) => Dataset;

export interface SyntheticSet {
  readonly generate: SyntheticGenerator;
  /** Default number of samples. */
  readonly size: number;
  /** Default noise multiplier. */
  readonly noise: number;
  /** Default number of classes. */
  readonly classes: number;
  /** Whether options.classes may change the number of classes. */
  readonly variableClasses: boolean;
  /** One line for --help and the README. */
  readonly description: string;
}

/** Draws one 2-D point of class `label` into out[0..1]. */
type PointSampler = (label: number, rng: () => number, out: Float32Array) => void;

/**
 * Shared skeleton of every generator: checks the options, shuffles balanced labels, samples the points.
 * x (size, 2), y (size).
 */
function generate(name: string, options: SyntheticOptions, classes: number, sample: PointSampler): Dataset {
  const { size, noise, seed } = options;
  if (!Number.isInteger(size) || size < 0) throw new InputError(`${name}: size must be a non-negative integer, got ${size}`);
  if (!Number.isFinite(noise) || noise < 0) throw new InputError(`${name}: noise must be a finite number >= 0, got ${noise}`);
  if (!Number.isInteger(classes) || classes < 2) throw new InputError(`${name}: classes must be an integer >= 2, got ${classes}`);
  const rng = makeRng(seed);
  // Label of sample i is order[i] mod K: balanced, remainder to the lowest classes, in random order.
  const order = permutation(size, rng);
  const x = new Float32Array(size * 2);
  const y = new Uint32Array(size);
  for (let i = 0; i < size; i++) {
    y[i] = order[i] % classes;
    sample(y[i], rng, x.subarray(2 * i, 2 * i + 2));
  }
  return makeDataset({ name, inputs: 2, classes, x, y });
}

/** Rejects options.classes on a set whose class count is fixed. */
function fixedClasses(name: string, options: SyntheticOptions, classes: number): number {
  if (options.classes !== undefined && options.classes !== classes) {
    throw new InputError(`${name}: has exactly ${classes} classes, got classes = ${options.classes}`);
  }
  return classes;
}

/**
 * rings5, the stand-in for the assignment's data set: five classes in the plane, inputs not standardized.
 *
 * - Classes 0, 1, 2 are nested rings around the centre (0, 0): angle uniform in [0, 2π), distance from
 *   the centre |r| with r ~ Normal(mean 1, 2, 3 for class 0, 1, 2; standard deviation 0.3 · noise).
 *   The ideal boundaries are the circles of radius 1.5 and 2.5; about 5% of each ring's points lie
 *   beyond each boundary they share, so the ring classes overlap and cannot be separated perfectly.
 * - Classes 3 and 4 are round Gaussian blobs centred at (4.5, 4.5) and (-4.5, 4.5) with standard deviation
 *   0.3 · noise on each coordinate. Their centres lie 6.36 from (0, 0), 3.36 (over 11 standard deviations)
 *   beyond the outer ring's mean radius, and 9 apart, so they are cleanly separable from the rings and
 *   from each other.
 *
 * At noise 1 all points lie within about [-6, 6] on both axes.
 */
export function rings5(options: SyntheticOptions): Dataset {
  const classes = fixedClasses('rings5', options, 5);
  const sd = 0.3 * options.noise;
  return generate('rings5', options, classes, (label, rng, out) => {
    if (label < 3) {
      const r = Math.abs(1 + label + sd * normal(rng));
      const angle = 2 * Math.PI * rng();
      out[0] = r * Math.cos(angle);
      out[1] = r * Math.sin(angle);
    } else {
      out[0] = (label === 3 ? 4.5 : -4.5) + sd * normal(rng);
      out[1] = 4.5 + sd * normal(rng);
    }
  });
}

/**
 * spiral: K interleaved spiral arms (default 3). Class k at t ~ Uniform[0, 1): radius t,
 * angle 2πk/K + 4t + 0.2 · noise · Normal(0, 1).
 */
export function spiral(options: SyntheticOptions): Dataset {
  const classes = options.classes ?? 3;
  const sd = 0.2 * options.noise;
  return generate('spiral', options, classes, (label, rng, out) => {
    const t = rng();
    const angle = (2 * Math.PI * label) / classes + 4 * t + sd * normal(rng);
    out[0] = t * Math.cos(angle);
    out[1] = t * Math.sin(angle);
  });
}

/**
 * moons: two interleaved half circles. With θ ~ Uniform[0, π): class 0 at (cos θ, sin θ), class 1 at
 * (1 - cos θ, 0.5 - sin θ); plus Normal(0, 0.1 · noise) on each coordinate.
 */
export function moons(options: SyntheticOptions): Dataset {
  const classes = fixedClasses('moons', options, 2);
  const sd = 0.1 * options.noise;
  return generate('moons', options, classes, (label, rng, out) => {
    const theta = Math.PI * rng();
    out[0] = (label === 0 ? Math.cos(theta) : 1 - Math.cos(theta)) + sd * normal(rng);
    out[1] = (label === 0 ? Math.sin(theta) : 0.5 - Math.sin(theta)) + sd * normal(rng);
  });
}

/**
 * circles: two concentric circles around (0, 0), class 0 of radius 1 and class 1 of radius 0.5, angle
 * uniform; plus Normal(0, 0.1 · noise) on each coordinate.
 */
export function circles(options: SyntheticOptions): Dataset {
  const classes = fixedClasses('circles', options, 2);
  const sd = 0.1 * options.noise;
  return generate('circles', options, classes, (label, rng, out) => {
    const r = label === 0 ? 1 : 0.5;
    const angle = 2 * Math.PI * rng();
    out[0] = r * Math.cos(angle) + sd * normal(rng);
    out[1] = r * Math.sin(angle) + sd * normal(rng);
  });
}

/**
 * xor: points uniform in a quadrant of [-1, 1]²; class 0 in the quadrants where x1 and x2 have the same
 * sign, class 1 where they differ; plus Normal(0, 0.1 · noise) on each coordinate.
 */
export function xor(options: SyntheticOptions): Dataset {
  const classes = fixedClasses('xor', options, 2);
  const sd = 0.1 * options.noise;
  return generate('xor', options, classes, (label, rng, out) => {
    const s1 = rng() < 0.5 ? -1 : 1;
    const s2 = label === 0 ? s1 : -s1;
    out[0] = s1 * rng() + sd * normal(rng);
    out[1] = s2 * rng() + sd * normal(rng);
  });
}

/**
 * blobs: K round Gaussian blobs (default 4), class k centred at (2 cos(2πk/K), 2 sin(2πk/K)) with
 * standard deviation 0.5 · noise on each coordinate.
 */
export function blobs(options: SyntheticOptions): Dataset {
  const classes = options.classes ?? 4;
  const sd = 0.5 * options.noise;
  return generate('blobs', options, classes, (label, rng, out) => {
    const angle = (2 * Math.PI * label) / classes;
    out[0] = 2 * Math.cos(angle) + sd * normal(rng);
    out[1] = 2 * Math.sin(angle) + sd * normal(rng);
  });
}

/** The synthetic sets by name, with their defaults. */
export const SYNTHETIC_SETS: Readonly<Record<string, SyntheticSet>> = {
  rings5: {
    generate: rings5,
    size: 500,
    noise: 1,
    classes: 5,
    variableClasses: false,
    description: 'the assignment stand-in: 3 overlapping nested rings and 2 separate blobs, 5 classes',
  },
  spiral: { generate: spiral, size: 500, noise: 1, classes: 3, variableClasses: true, description: 'interleaved spiral arms, 3 classes by default' },
  moons: { generate: moons, size: 500, noise: 1, classes: 2, variableClasses: false, description: 'two interleaved half circles, 2 classes' },
  circles: { generate: circles, size: 500, noise: 1, classes: 2, variableClasses: false, description: 'two concentric circles, 2 classes' },
  xor: { generate: xor, size: 500, noise: 1, classes: 2, variableClasses: false, description: 'four quadrants, opposite ones share a class, 2 classes' },
  blobs: { generate: blobs, size: 500, noise: 1, classes: 4, variableClasses: true, description: 'Gaussian blobs on a circle, 4 classes by default' },
};

/** Names of the synthetic sets, in registry order. */
export const SYNTHETIC_NAMES: readonly string[] = Object.keys(SYNTHETIC_SETS);

/**
 * A train and a test set drawn independently from the same synthetic distribution: the two use seeds
 * derived from `seed`, so they differ from each other and from generate({seed}).
 * The test set is named "<name> (test)".
 */
export function makeSyntheticSplit(
  name: string,
  options: { trainSize?: number; testSize?: number; noise?: number; seed?: number; classes?: number } = {},
): DataSplit {
  const set = Object.hasOwn(SYNTHETIC_SETS, name) ? SYNTHETIC_SETS[name] : undefined;
  if (!set) throw new InputError(`unknown synthetic set "${name}"; known sets: ${SYNTHETIC_NAMES.join(', ')}`);
  const { trainSize = 400, testSize = 100, noise = set.noise, seed = 1, classes } = options;
  if (!Number.isInteger(trainSize) || trainSize < 1) throw new InputError(`${name}: trainSize must be a positive integer, got ${trainSize}`);
  // A test size of 0 means no test set (training only, e.g. for benchmarks).
  if (!Number.isInteger(testSize) || testSize < 0) throw new InputError(`${name}: testSize must be a non-negative integer, got ${testSize}`);
  const seeds = makeRng(seed);
  const trainSeed = Math.floor(seeds() * 2 ** 32);
  const testSeed = Math.floor(seeds() * 2 ** 32);
  const train = set.generate({ size: trainSize, noise, seed: trainSeed, classes });
  const test = set.generate({ size: testSize, noise, seed: testSeed, classes });
  return { train, test: { ...test, name: `${name} (test)` } };
}
