// CPU twin of shaders/optimizer.wgsl: parameter updates from a gradient, in place, elementwise.
// Weight decay is L2 regularisation added to the gradient (g + wd * p); callers pass wd = 0 for biases.

import type { FloatArray } from '../model/mlp.ts';

export const OPTIMIZERS = ['gd', 'momentum', 'adam'] as const;
export type OptimizerKind = (typeof OPTIMIZERS)[number];

/** Every optimizer knob with its default. `gd` with a batch smaller than the data is mini-batch SGD. */
export interface OptimizerConfig {
  kind: OptimizerKind;
  /** Step size (the assignment: 0.1). */
  lr: number;
  /** Momentum coefficient mu for `momentum` (v = mu v + g; p -= lr v). */
  momentum: number;
  /** Adam's decay rates and epsilon. */
  beta1: number;
  beta2: number;
  epsilon: number;
  /** L2 weight decay on weights (not biases); 0 = off. */
  weightDecay: number;
}

export const DEFAULT_OPTIMIZER: OptimizerConfig = {
  kind: 'gd',
  lr: 0.1,
  momentum: 0.9,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0,
};

/** p -= lr * (g + wd p). p, g (count). */
export function sgdUpdate(p: FloatArray, g: FloatArray, count: number, lr: number, weightDecay: number): void {
  for (let i = 0; i < count; i++) p[i] -= lr * (g[i] + weightDecay * p[i]);
}

/** v = mu v + (g + wd p); p -= lr v. p, v, g (count). */
export function momentumUpdate(
  p: FloatArray,
  v: FloatArray,
  g: FloatArray,
  count: number,
  lr: number,
  momentum: number,
  weightDecay: number,
): void {
  for (let i = 0; i < count; i++) {
    v[i] = momentum * v[i] + (g[i] + weightDecay * p[i]);
    p[i] -= lr * v[i];
  }
}

/**
 * Adam with bias correction at 1-based step t:
 * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps),
 * with g already including wd p. p, m, v, g (count).
 */
export function adamUpdate(
  p: FloatArray,
  m: FloatArray,
  v: FloatArray,
  g: FloatArray,
  count: number,
  lr: number,
  beta1: number,
  beta2: number,
  epsilon: number,
  weightDecay: number,
  step: number,
): void {
  const correction1 = 1 - Math.pow(beta1, step);
  const correction2 = 1 - Math.pow(beta2, step);
  for (let i = 0; i < count; i++) {
    const grad = g[i] + weightDecay * p[i];
    m[i] = beta1 * m[i] + (1 - beta1) * grad;
    v[i] = beta2 * v[i] + (1 - beta2) * grad * grad;
    p[i] -= (lr * (m[i] / correction1)) / (Math.sqrt(v[i] / correction2) + epsilon);
  }
}
