// The whole network on the CPU, composed from the kernel twins in the order the GPU runs them:
// per layer matmulBiasActForward; softmaxCrossEntropy; per layer (last to first) matmulGradWeights and
// matmulGradInput + activationBackward. Generic over precision: Float32Array arrays make the float32
// path the GPU is compared with, Float64Array arrays make the float64 oracle.

import { layerCount, type FloatArray, type MlpParams } from '../model/mlp.ts';
import { activationBackward } from './activation.ts';
import { matmulBiasActForward, matmulGradInput, matmulGradWeights } from './matmul.ts';
import { softmax, softmaxCrossEntropy } from './softmaxCrossEntropy.ts';

/** Scratch arrays for batches of up to `capacity` samples, allocated once and reused. */
export interface Workspace<A extends FloatArray> {
  readonly capacity: number;
  /** z[l] (capacity, layers[l+1]): pre-activations of layer l. */
  readonly z: A[];
  /** a[l] (capacity, layers[l+1]): activations of layer l (a[last] = z[last], the logits). */
  readonly a: A[];
  /** dZ[l] (capacity, layers[l+1]): loss gradient with respect to z[l]. */
  readonly dZ: A[];
  /** dA (capacity, max hidden width): gradient flowing into a hidden layer's output. */
  readonly dA: A;
  /** loss (capacity): per-sample cross-entropy. */
  readonly loss: A;
  /** predicted (capacity): argmax class per sample. */
  readonly predicted: Uint32Array;
}

export function makeWorkspace<A extends FloatArray>(params: MlpParams<A>, capacity: number, make: (n: number) => A): Workspace<A> {
  const sizes = params.spec.layers;
  const z: A[] = [];
  const a: A[] = [];
  const dZ: A[] = [];
  for (let l = 0; l < layerCount(params.spec); l++) {
    z.push(make(capacity * sizes[l + 1]));
    a.push(make(capacity * sizes[l + 1]));
    dZ.push(make(capacity * sizes[l + 1]));
  }
  const widest = Math.max(1, ...sizes.slice(1, -1));
  return { capacity, z, a, dZ, dA: make(capacity * widest), loss: make(capacity), predicted: new Uint32Array(capacity) };
}

/** Forward pass of n samples x (n, inputs); the logits end up in ws.a[last] (= ws.z[last]). */
export function forward<A extends FloatArray>(params: MlpParams<A>, ws: Workspace<A>, x: FloatArray, n: number): void {
  const { layers, activation } = params.spec;
  const last = layerCount(params.spec) - 1;
  let input: FloatArray = x;
  for (let l = 0; l <= last; l++) {
    matmulBiasActForward(ws.z[l], ws.a[l], input, params.weights[l], params.biases[l], n, layers[l], layers[l + 1], l < last ? activation : null);
    input = ws.a[l];
  }
}

/** Class probabilities probs (n, classes) for x (n, inputs). */
export function predictProbabilities<A extends FloatArray>(params: MlpParams<A>, ws: Workspace<A>, probs: FloatArray, x: FloatArray, n: number): void {
  forward(params, ws, x, n);
  const last = layerCount(params.spec) - 1;
  softmax(probs, ws.z[last], n, params.spec.layers[last + 1]);
}

/**
 * Forward, loss and backward of one batch x (n, inputs), y (n). Fills grads with the gradient of the
 * MEAN cross-entropy over the batch, ws.loss with per-sample losses and ws.predicted with predictions.
 * Returns the summed loss (float64) and the number classified right.
 */
export function forwardBackward<A extends FloatArray>(
  params: MlpParams<A>,
  grads: MlpParams<A>,
  ws: Workspace<A>,
  x: FloatArray,
  y: Uint32Array,
  n: number,
): { lossSum: number; correct: number } {
  const { layers, activation } = params.spec;
  const last = layerCount(params.spec) - 1;
  forward(params, ws, x, n);
  softmaxCrossEntropy(ws.loss, ws.dZ[last], ws.predicted, ws.z[last], y, n, layers[last + 1], 1 / n);
  for (let l = last; l >= 0; l--) {
    const input = l === 0 ? x : ws.a[l - 1];
    matmulGradWeights(grads.weights[l], grads.biases[l], ws.dZ[l], input, n, layers[l + 1], layers[l]);
    if (l > 0) {
      matmulGradInput(ws.dA, ws.dZ[l], params.weights[l], n, layers[l + 1], layers[l]);
      activationBackward(ws.dZ[l - 1], ws.dA, ws.z[l - 1], n * layers[l], activation);
    }
  }
  let lossSum = 0;
  let correct = 0;
  for (let s = 0; s < n; s++) {
    lossSum += ws.loss[s];
    if (ws.predicted[s] === y[s]) correct++;
  }
  return { lossSum, correct };
}
