// The agreement column: every system's parameters after the check epochs are scored by the same CPU
// reference code (src/cpu/network.ts, float32), so the loss compared is a property of the parameters a
// system produced, not of how it reports its loss.

import { forward, makeWorkspace } from '../src/cpu/network.ts';
import { softmaxCrossEntropy } from '../src/cpu/softmaxCrossEntropy.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { layerCount, type MlpParams } from '../src/model/mlp.ts';
import type { SystemId } from './systems/system.ts';

/** Samples scored at once (bounds the workspace for a million samples). */
const CHUNK = 8192;

/** Mean cross-entropy (summed in float64) and accuracy of `params` on `data`. */
export function score(params: MlpParams, data: Dataset): { loss: number; accuracy: number } {
  const classes = params.spec.layers[params.spec.layers.length - 1];
  const last = layerCount(params.spec) - 1;
  const ws = makeWorkspace(params, Math.min(CHUNK, Math.max(1, data.size)), (n) => new Float32Array(n));
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < data.size; start += CHUNK) {
    const n = Math.min(CHUNK, data.size - start);
    const x = data.x.subarray(start * data.inputs, (start + n) * data.inputs);
    const y = data.y.subarray(start, start + n);
    forward(params, ws, x, n);
    softmaxCrossEntropy(ws.loss, ws.dZ[last], ws.predicted, ws.z[last], y, n, classes, 1);
    for (let s = 0; s < n; s++) {
      lossSum += ws.loss[s];
      if (ws.predicted[s] === y[s]) correct++;
    }
  }
  return { loss: lossSum / data.size, accuracy: correct / data.size };
}

/**
 * Largest relative difference |L - L_ref| / L_ref of the final training loss that still counts as the
 * same answer, per system.
 * - wgtrain GPU: 1e-4. Same algorithm and summation order per sample as the CPU reference, float32;
 *   tests/gpu/trainer.test.ts holds the 1000-epoch assignment run to 1e-6 relative in the losses. 1e-4
 *   leaves room for the big full-batch reductions (a million samples) summed in a different grouping.
 * - wgtrain CPU fast: 1e-5. The reference's float32 computation with its own exp and log1p (within
 *   float32 rounding) and weight gradients summed by block; test/cpu/fastTrainer.test.ts holds losses to
 *   1e-5 relative over tens of epochs (they agree to about 1e-11 on W1 and W2).
 * - TF.js: 1e-3. Its own formulas (softplus with thresholds, log-softmax cross-entropy), summation
 *   orders and kernels (XNNPACK, WebGPU tiles) change every step by a few float32 ulp; gradient descent
 *   carries those along. A real error (a missing 1/N, a wrong learning rate, a transposed weight, a
 *   different batch order) moves the loss by percents after the first epochs.
 * The CPU reference against itself is exact (0).
 */
export function lossTolerance(system: SystemId): number {
  switch (system) {
    case 'wgtrain-cpu':
      return 0;
    case 'wgtrain-cpu-fast':
      return 1e-5;
    case 'wgtrain-gpu':
      return 1e-4;
    default:
      return 1e-3;
  }
}

export function relativeDifference(value: number, reference: number): number {
  if (value === reference) return 0;
  return Math.abs(value - reference) / Math.max(Math.abs(reference), Number.MIN_VALUE);
}
