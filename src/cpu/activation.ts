// CPU twin of shaders/activation.wgsl: hidden-layer activations, forward and backward, elementwise.
// Written to stay finite and accurate for any finite z (|z| up to 1e4 and beyond): no exp of a large
// positive number is ever taken.

import type { Activation, FloatArray } from '../model/mlp.ts';

/** Stable logistic: exp is only taken of -|z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e^-|z|). */
export function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

const relu = (z: number) => (z > 0 ? z : 0);
const reluDerivative = (z: number) => (z > 0 ? 1 : 0);
const tanhDerivative = (z: number) => {
  const t = Math.tanh(z);
  return 1 - t * t;
};
const sigmoidDerivative = (z: number) => {
  const s = sigmoid(z);
  return s * (1 - s);
};

/** act and act' as plain functions, chosen once per kernel call rather than per element. */
export const ACTIVATION_FUNCTIONS: Readonly<Record<Activation, { forward: (z: number) => number; derivative: (z: number) => number }>> = {
  softplus: { forward: softplus, derivative: sigmoid },
  relu: { forward: relu, derivative: reluDerivative },
  tanh: { forward: Math.tanh, derivative: tanhDerivative },
  sigmoid: { forward: sigmoid, derivative: sigmoidDerivative },
};

/** act(z). */
export function activate(activation: Activation, z: number): number {
  return ACTIVATION_FUNCTIONS[activation].forward(z);
}

/** act'(z). relu'(0) is taken as 0. */
export function activateDerivative(activation: Activation, z: number): number {
  return ACTIVATION_FUNCTIONS[activation].derivative(z);
}

/** a = act(z), elementwise over `count` values. */
export function activationForward(a: FloatArray, z: FloatArray, count: number, activation: Activation): void {
  const act = ACTIVATION_FUNCTIONS[activation].forward;
  for (let i = 0; i < count; i++) a[i] = act(z[i]);
}

/** dZ = dA * act'(z), elementwise over `count` values. */
export function activationBackward(dZ: FloatArray, dA: FloatArray, z: FloatArray, count: number, activation: Activation): void {
  const derivative = ACTIVATION_FUNCTIONS[activation].derivative;
  for (let i = 0; i < count; i++) dZ[i] = dA[i] * derivative(z[i]);
}
