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

// ---- The loss statistics: the GPU's fixed-order float32 sums, reproduced bit for bit ----

/** One entry of loss statistics: a float32 loss sum and a count of right predictions. */
export interface LossStats {
  lossSum: number;
  correct: number;
}

/** The shape of the reductions: invocations per workgroup (a power of two) and samples per invocation. */
export interface StatsShape {
  workgroup: number;
  perInvocation: number;
}

/**
 * reducePartials: the float32 tree over one workgroup's partials, pairing t with t + stride for halving
 * strides (partials are consumed).
 */
function treeSum(loss: Float32Array, correct: Uint32Array): LossStats {
  for (let stride = loss.length >> 1; stride > 0; stride >>= 1) {
    for (let t = 0; t < stride; t++) {
      loss[t] = loss[t] + loss[t + stride];
      correct[t] += correct[t + stride];
    }
  }
  return { lossSum: loss[0], correct: correct[0] };
}

/**
 * accumulateLossStats (and the sums of softmaxCrossEntropyStats): per block of workgroup x perInvocation
 * samples, invocation t sums samples t + j * workgroup in increasing j in float32, then treeSum.
 * loss (n), predicted (n), y (n); one entry per block.
 */
export function accumulateLossStats(loss: ArrayLike<number>, predicted: ArrayLike<number>, y: ArrayLike<number>, n: number, shape: StatsShape): LossStats[] {
  const { workgroup, perInvocation } = shape;
  const block = workgroup * perInvocation;
  const out: LossStats[] = [];
  for (let first = 0; first < n; first += block) {
    const partialLoss = new Float32Array(workgroup);
    const partialCorrect = new Uint32Array(workgroup);
    for (let t = 0; t < workgroup; t++) {
      for (let j = 0; j < perInvocation; j++) {
        const s = first + t + j * workgroup;
        if (s < n) {
          partialLoss[t] = partialLoss[t] + loss[s];
          if (predicted[s] === y[s]) partialCorrect[t]++;
        }
      }
    }
    out.push(treeSum(partialLoss, partialCorrect));
  }
  return out;
}

/** What recordEpoch needs to know of the statistics entries of an epoch. */
export interface RecordShape {
  trainSize: number;
  batchSize: number;
  blocksPerBatch: number;
  steps: number;
}

/**
 * recordEpoch's sum of one statistics buffer: invocation t sums entries t, t + workgroup, ... in float32
 * (train entries of blocks past the end of a smaller last batch skipped), then treeSum. `record` null: the
 * test set's entries, all of them.
 */
export function sumLossStats(entries: readonly LossStats[], shape: StatsShape, record: RecordShape | null): LossStats {
  const { workgroup, perInvocation } = shape;
  const block = workgroup * perInvocation;
  const count = record ? record.steps * record.blocksPerBatch : entries.length;
  const partialLoss = new Float32Array(workgroup);
  const partialCorrect = new Uint32Array(workgroup);
  for (let t = 0; t < workgroup; t++) {
    for (let e = t; e < count; e += workgroup) {
      if (record && Math.floor(e / record.blocksPerBatch) * record.batchSize + (e % record.blocksPerBatch) * block >= record.trainSize) continue;
      partialLoss[t] = partialLoss[t] + entries[e].lossSum;
      partialCorrect[t] += entries[e].correct;
    }
  }
  return treeSum(partialLoss, partialCorrect);
}
