// CPU twin of shaders/softmaxCrossEntropy.wgsl: per-sample cross-entropy of softmax(z) and its gradient
// in one pass, by log-sum-exp so that logits of any size (±1000 and beyond) stay finite.

import type { FloatArray } from '../model/mlp.ts';

/**
 * For each sample s: loss[s] = logsumexp(z[s]) - z[s][y[s]] = log(sum_c e^(z[s][c] - max)) - (z[s][y[s]] - max);
 * dZ[s][c] = (softmax(z[s])[c] - [c == y[s]]) * scale (scale = 1/batch for a mean loss);
 * predicted[s] = argmax_c z[s][c] (first on ties).
 * z (n, C), y (n), loss (n), dZ (n, C), predicted (n).
 */
export function softmaxCrossEntropy(
  loss: FloatArray,
  dZ: FloatArray,
  predicted: Uint32Array,
  z: FloatArray,
  y: Uint32Array,
  n: number,
  classes: number,
  scale: number,
): void {
  for (let s = 0; s < n; s++) {
    const row = s * classes;
    let max = z[row];
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (z[row + c] > max) {
        max = z[row + c];
        best = c;
      }
    }
    // e^(z - max) is kept in dZ until the sum is known; written as log(sum) - (z[y] - max) and
    // e / sum, m + log(sum) is never formed, so float32 twins lose nothing at logits of ±1000.
    let sumExp = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(z[row + c] - max);
      dZ[row + c] = e;
      sumExp += e;
    }
    const label = y[s];
    loss[s] = Math.log(sumExp) - (z[row + label] - max);
    for (let c = 0; c < classes; c++) dZ[row + c] = (dZ[row + c] / sumExp - (c === label ? 1 : 0)) * scale;
    predicted[s] = best;
  }
}

/** probs (n, C) = softmax(z) row by row, stable. */
export function softmax(probs: FloatArray, z: FloatArray, n: number, classes: number): void {
  for (let s = 0; s < n; s++) {
    const row = s * classes;
    let max = z[row];
    for (let c = 1; c < classes; c++) if (z[row + c] > max) max = z[row + c];
    let sumExp = 0;
    for (let c = 0; c < classes; c++) sumExp += Math.exp(z[row + c] - max);
    const logSumExp = max + Math.log(sumExp);
    for (let c = 0; c < classes; c++) probs[row + c] = Math.exp(z[row + c] - logSumExp);
  }
}
