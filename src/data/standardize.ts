// Per-feature standardization, fitted on the training set and applied unchanged to the test set.

import { type Dataset, InputError } from './dataset.ts';

/** Per-feature affine map x -> (x - mean) / std; mean and std have one entry per input. */
export interface Standardization {
  mean: number[];
  std: number[];
}

/**
 * Mean and population standard deviation of every input over the data set, computed in float64.
 * A constant feature gets std 1 (and its value as mean), so standardizing never divides by zero.
 */
export function fitStandardization(data: Dataset): Standardization {
  const { size, inputs, x } = data;
  if (size === 0) throw new InputError(`${data.name}: cannot fit a standardization to an empty data set`);
  const mean: number[] = [];
  const std: number[] = [];
  for (let j = 0; j < inputs; j++) {
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < size; i++) {
      const v = x[i * inputs + j];
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    if (min === max) {
      mean.push(min);
      std.push(1);
      continue;
    }
    const m = sum / size;
    let squares = 0;
    for (let i = 0; i < size; i++) squares += (x[i * inputs + j] - m) ** 2;
    mean.push(m);
    std.push(Math.sqrt(squares / size));
  }
  return { mean, std };
}

/** A copy of the data set with every input standardized: x'[i][j] = (x[i][j] - mean[j]) / std[j]. */
export function applyStandardization(data: Dataset, s: Standardization): Dataset {
  const { size, inputs } = data;
  if (s.mean.length !== inputs || s.std.length !== inputs) {
    throw new InputError(`${data.name}: ${inputs} inputs, but the standardization has ${s.mean.length} means and ${s.std.length} stds`);
  }
  const x = new Float32Array(size * inputs); // (size, inputs)
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < inputs; j++) x[i * inputs + j] = (data.x[i * inputs + j] - s.mean[j]) / s.std[j];
  }
  return { ...data, x };
}
