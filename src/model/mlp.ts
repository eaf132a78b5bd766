// The model: a multilayer perceptron with one hidden activation and a softmax output.
// Layer l maps a(l) (inputs) to z(l+1) = W(l) a(l) + b(l), W(l) (outputs, inputs) row-major, b(l) (outputs).

import { makeRng } from '../random.ts';

export const ACTIVATIONS = ['softplus', 'relu', 'tanh', 'sigmoid'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export type FloatArray = Float32Array | Float64Array;

/** The architecture: layer sizes from inputs to classes, e.g. [2, 12, 5]; hidden activation; softmax out. */
export interface MlpSpec {
  readonly layers: readonly number[];
  readonly activation: Activation;
}

/** Parameters of an MLP in one precision. weights[l] (layers[l+1], layers[l]); biases[l] (layers[l+1]). */
export interface MlpParams<A extends FloatArray = Float32Array> {
  readonly spec: MlpSpec;
  readonly weights: A[];
  readonly biases: A[];
}

export class ModelError extends Error {
  override readonly name = 'ModelError';
}

/** Throws ModelError unless the spec describes a trainable MLP. */
export function validateSpec(spec: MlpSpec): void {
  const { layers, activation } = spec;
  if (layers.length < 2) throw new ModelError(`layers: need at least an input and an output size, got [${layers.join(',')}]`);
  layers.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 1) throw new ModelError(`layers[${i}]: size must be a positive integer, got ${n}`);
  });
  if (layers[layers.length - 1] < 2) throw new ModelError(`layers: the softmax output needs at least 2 classes, got ${layers[layers.length - 1]}`);
  if (!ACTIVATIONS.includes(activation)) {
    throw new ModelError(`activation: "${activation}" is not one of ${ACTIVATIONS.join(', ')}`);
  }
}

/** Parses "2,12,5" into [2, 12, 5]. */
export function parseLayers(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const layers = parts.map(Number);
  const bad = parts.findIndex((s, i) => s === '' || !Number.isInteger(layers[i]) || layers[i] < 1);
  if (bad >= 0) throw new ModelError(`--layers "${text}": entry ${bad + 1} ("${parts[bad]}") is not a positive integer`);
  return layers;
}

export function layerCount(spec: MlpSpec): number {
  return spec.layers.length - 1;
}

/** Weights and biases of every layer: sum over l of out*in + out. 2-12-5 has 101. */
export function parameterCount(spec: MlpSpec): number {
  let n = 0;
  for (let l = 0; l + 1 < spec.layers.length; l++) n += spec.layers[l + 1] * spec.layers[l] + spec.layers[l + 1];
  return n;
}

/**
 * Seeded initialisation. Weights uniform in [-r, r] with r = sqrt(6 / (in + out)) (Glorot/Xavier uniform)
 * for softplus, tanh and sigmoid, and r = sqrt(6 / in) (He uniform) for relu; biases zero. Layer l draws
 * from its own stream seeded by (seed, l), so adding a layer does not change the ones before it.
 */
export function initParams(spec: MlpSpec, seed: number): MlpParams {
  validateSpec(spec);
  const weights: Float32Array[] = [];
  const biases: Float32Array[] = [];
  for (let l = 0; l < layerCount(spec); l++) {
    const inSize = spec.layers[l];
    const outSize = spec.layers[l + 1];
    const relu = spec.activation === 'relu' && l + 1 < layerCount(spec);
    const r = Math.sqrt(6 / (relu ? inSize : inSize + outSize));
    const rng = makeRng((Math.imul(seed >>> 0, 0x9e3779b1) + l * 0x85ebca6b) >>> 0);
    const w = new Float32Array(outSize * inSize);
    for (let i = 0; i < w.length; i++) w[i] = (2 * rng() - 1) * r;
    weights.push(w);
    biases.push(new Float32Array(outSize));
  }
  return { spec, weights, biases };
}

/** Zeroed arrays with the shapes of the parameters, in the given precision. */
export function zerosLike<A extends FloatArray>(spec: MlpSpec, make: (n: number) => A): MlpParams<A> {
  const weights: A[] = [];
  const biases: A[] = [];
  for (let l = 0; l < layerCount(spec); l++) {
    weights.push(make(spec.layers[l + 1] * spec.layers[l]));
    biases.push(make(spec.layers[l + 1]));
  }
  return { spec, weights, biases };
}

export function toFloat64(p: MlpParams<FloatArray>): MlpParams<Float64Array> {
  return { spec: p.spec, weights: p.weights.map((w) => Float64Array.from(w)), biases: p.biases.map((b) => Float64Array.from(b)) };
}

export function toFloat32(p: MlpParams<FloatArray>): MlpParams<Float32Array> {
  return { spec: p.spec, weights: p.weights.map((w) => Float32Array.from(w)), biases: p.biases.map((b) => Float32Array.from(b)) };
}

/** Every parameter in one flat array: W(0), b(0), W(1), b(1), ... (the order gradients are checked in). */
export function flattenParams(p: MlpParams<FloatArray>): Float64Array {
  const out = new Float64Array(parameterCount(p.spec));
  let k = 0;
  for (let l = 0; l < p.weights.length; l++) {
    out.set(p.weights[l], k);
    k += p.weights[l].length;
    out.set(p.biases[l], k);
    k += p.biases[l].length;
  }
  return out;
}
