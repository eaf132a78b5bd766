// Shared by the CPU and GPU tests: seeded inputs, and the closeness check every comparison with a
// reference goes through.

import { expect } from 'vitest';
import { makeRng } from '../src/random.ts';

/** Seeded uniform values in [lo, hi). */
export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rng = makeRng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng();
  return out;
}

/** Seeded integers in [0, classes). */
export function randomLabels(n: number, classes: number, seed: number): Uint32Array {
  const rng = makeRng(seed);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rng() * classes);
  return out;
}

/**
 * Asserts |actual - expected| <= atol + rtol * |expected| elementwise (NaN only where expected is NaN);
 * atol may be one bound per element. On failure the message names the tensor, the first mismatches and
 * the largest error.
 */
export function expectClose(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number | ArrayLike<number>, rtol: number): void {
  expect(actual.length, `${name}: length`).toBe(expected.length);
  const bad: string[] = [];
  let badCount = 0;
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const err = Math.abs(a - e);
    const bound = (typeof atol === 'number' ? atol : atol[i]) + rtol * Math.abs(e);
    const ok = Number.isNaN(e) ? Number.isNaN(a) : err <= bound;
    if (!ok) {
      badCount++;
      if (bad.length < 5) bad.push(`[${i}] got ${a}, expected ${e} (bound ${bound.toPrecision(3)})`);
    }
    if (!Number.isNaN(err) && err > worst) {
      worst = err;
      worstAt = i;
    }
  }
  const summary = `${name}: ${badCount} of ${expected.length} outside atol ${atol} + rtol ${rtol}; first ${bad.join(', ')}; largest error ${worst} at [${worstAt}]`;
  expect(badCount, summary).toBe(0);
}
