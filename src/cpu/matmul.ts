// CPU twin of shaders/matmul.wgsl: the dense layer forward (bias and activation fused) and its two
// backward products. Row-major throughout; every sum runs over k in increasing order in float64 and is
// rounded once when stored, so a Float32Array output is the correctly rounded float64 result.

import type { Activation, FloatArray } from '../model/mlp.ts';
import { ACTIVATION_FUNCTIONS } from './activation.ts';

/**
 * z (n, out) = x (n, in) W^T + b; a (n, out) = act(z), or a = z when activation is null (the output
 * layer, whose softmax lives in the loss).
 * x (n, in), W (out, in), b (out).
 */
export function matmulBiasActForward(
  z: FloatArray,
  a: FloatArray,
  x: FloatArray,
  W: FloatArray,
  b: FloatArray,
  n: number,
  inSize: number,
  outSize: number,
  activation: Activation | null,
): void {
  const act = activation === null ? null : ACTIVATION_FUNCTIONS[activation].forward;
  for (let s = 0; s < n; s++) {
    const xRow = s * inSize;
    for (let o = 0; o < outSize; o++) {
      const wRow = o * inSize;
      let sum = 0;
      for (let k = 0; k < inSize; k++) sum += x[xRow + k] * W[wRow + k];
      const at = s * outSize + o;
      z[at] = sum + b[o];
      // act reads z back as stored, so a float32 path activates the rounded z, as the GPU does.
      a[at] = act === null ? z[at] : act(z[at]);
    }
  }
}

/** float64 accumulators reused across calls (grown on demand), so no kernel allocates per step. */
let scratch = new Float64Array(0);
function accumulators(count: number): Float64Array {
  if (scratch.length < count) scratch = new Float64Array(count);
  scratch.fill(0, 0, count);
  return scratch;
}

/**
 * Weight and bias gradients of one layer, together: dW (out, in) = dZ^T A, db (out) = column sums of dZ.
 * dZ (n, out), A (n, in) (the layer's input activations). Every sum runs over samples in order 0..n-1;
 * samples are the outer loop so both inputs are read row by row.
 */
export function matmulGradWeights(
  dW: FloatArray,
  db: FloatArray,
  dZ: FloatArray,
  A: FloatArray,
  n: number,
  outSize: number,
  inSize: number,
): void {
  const acc = accumulators(outSize * inSize + outSize);
  const biasAt = outSize * inSize;
  for (let s = 0; s < n; s++) {
    const aRow = s * inSize;
    for (let o = 0; o < outSize; o++) {
      const d = dZ[s * outSize + o];
      const wRow = o * inSize;
      for (let i = 0; i < inSize; i++) acc[wRow + i] += d * A[aRow + i];
      acc[biasAt + o] += d;
    }
  }
  for (let k = 0; k < biasAt; k++) dW[k] = acc[k];
  for (let o = 0; o < outSize; o++) db[o] = acc[biasAt + o];
}

/**
 * dA (n, in) = dZ (n, out) W (out, in): the gradient flowing into the layer's input. Sums run over outputs
 * in order 0..out-1; W is read row by row.
 */
export function matmulGradInput(
  dA: FloatArray,
  dZ: FloatArray,
  W: FloatArray,
  n: number,
  outSize: number,
  inSize: number,
): void {
  const acc = accumulators(inSize);
  for (let s = 0; s < n; s++) {
    acc.fill(0, 0, inSize);
    for (let o = 0; o < outSize; o++) {
      const d = dZ[s * outSize + o];
      const wRow = o * inSize;
      for (let i = 0; i < inSize; i++) acc[i] += d * W[wRow + i];
    }
    const aRow = s * inSize;
    for (let i = 0; i < inSize; i++) dA[aRow + i] = acc[i];
  }
}
