// CPU twin of shaders/matmul.wgsl: the dense layer forward (bias and activation fused) and its two
// backward products. Row-major throughout; every sum runs over k in increasing order in float64 and is
// rounded once when stored, so a Float32Array output is the correctly rounded float64 result.

import type { Activation, FloatArray } from '../model/mlp.ts';
import { activate } from './activation.ts';

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
  for (let s = 0; s < n; s++) {
    const xRow = s * inSize;
    for (let o = 0; o < outSize; o++) {
      const wRow = o * inSize;
      let sum = 0;
      for (let k = 0; k < inSize; k++) sum += x[xRow + k] * W[wRow + k];
      const zv = sum + b[o];
      z[s * outSize + o] = zv;
      a[s * outSize + o] = activation === null ? zv : activate(activation, z[s * outSize + o]);
    }
  }
}

/**
 * Weight and bias gradients of one layer, together: dW (out, in) = dZ^T A, db (out) = column sums of dZ.
 * dZ (n, out), A (n, in) (the layer's input activations). Sums run over samples in order 0..n-1.
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
  for (let o = 0; o < outSize; o++) {
    for (let i = 0; i < inSize; i++) {
      let sum = 0;
      for (let s = 0; s < n; s++) sum += dZ[s * outSize + o] * A[s * inSize + i];
      dW[o * inSize + i] = sum;
    }
    let bias = 0;
    for (let s = 0; s < n; s++) bias += dZ[s * outSize + o];
    db[o] = bias;
  }
}

/** dA (n, in) = dZ (n, out) W (out, in): the gradient flowing into the layer's input. */
export function matmulGradInput(
  dA: FloatArray,
  dZ: FloatArray,
  W: FloatArray,
  n: number,
  outSize: number,
  inSize: number,
): void {
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < inSize; i++) {
      let sum = 0;
      for (let o = 0; o < outSize; o++) sum += dZ[s * outSize + o] * W[o * inSize + i];
      dA[s * inSize + i] = sum;
    }
  }
}
