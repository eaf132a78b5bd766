// The CPU reference's own guarantees: stable activations and loss at extreme inputs, the float32 path
// against the float64 oracle, and the gradient check over every parameter.

import { describe, expect, it } from 'vitest';
import { activate, activateDerivative, softplus, sigmoid } from '../../src/cpu/activation.ts';
import { forwardBackward, makeWorkspace } from '../../src/cpu/network.ts';
import { softmaxCrossEntropy } from '../../src/cpu/softmaxCrossEntropy.ts';
import { makeDataset } from '../../src/data/dataset.ts';
import { ACTIVATIONS, initParams, parameterCount, toFloat64, zerosLike, type Activation, type MlpSpec } from '../../src/model/mlp.ts';
import { makeRng, normal } from '../../src/random.ts';
import { shuffledIndex } from '../../src/cpu/shuffle.ts';
import { gradientCheck } from '../../src/train/gradcheck.ts';

function randomData(n: number, inputs: number, classes: number, seed: number) {
  const rng = makeRng(seed);
  const x = Float32Array.from({ length: n * inputs }, () => 2 * normal(rng));
  const y = Uint32Array.from({ length: n }, () => Math.floor(rng() * classes));
  return makeDataset({ name: 'random', inputs, classes, x, y });
}

describe('activations at extreme inputs', () => {
  it('softplus is finite and right for |z| up to 1e4', () => {
    expect(softplus(1e4)).toBe(1e4);
    expect(softplus(-1e4)).toBe(0);
    expect(softplus(400)).toBe(400);
    expect(softplus(-400)).toBeCloseTo(Math.exp(-400), 300);
    expect(softplus(0)).toBeCloseTo(Math.LN2, 15);
    expect(softplus(30)).toBeCloseTo(30 + Math.exp(-30), 14);
    expect(softplus(-30)).toBeCloseTo(Math.log1p(Math.exp(-30)), 25);
  });

  it('every derivative is finite and matches a central difference', () => {
    for (const act of ACTIVATIONS) {
      for (const z of [-1e4, -400, -30, -2.5, -0.3, 0.7, 3, 30, 400, 1e4]) {
        const d = activateDerivative(act, z);
        expect(Number.isFinite(d), `${act}'(${z})`).toBe(true);
        const h = 1e-6 * Math.max(1, Math.abs(z));
        const numeric = (activate(act, z + h) - activate(act, z - h)) / (2 * h);
        expect(Math.abs(d - numeric), `${act}'(${z}) = ${d}, numeric ${numeric}`).toBeLessThan(1e-6);
      }
    }
    expect(activateDerivative('softplus', 1e4)).toBe(1);
    expect(activateDerivative('softplus', -1e4)).toBe(0);
    expect(sigmoid(-1e4)).toBe(0);
  });
});

describe('softmaxCrossEntropy', () => {
  it('stays finite and exact for logits of ±1000', () => {
    const z = Float64Array.from([1000, -1000, 0, 999, -1000, /* second sample: all negative */ -1000, -1001, -1002, -999, -1000]);
    const y = Uint32Array.from([3, 1]);
    const loss = new Float64Array(2);
    const dZ = new Float64Array(10);
    const predicted = new Uint32Array(2);
    softmaxCrossEntropy(loss, dZ, predicted, z, y, 2, 5, 0.5);
    // Sample 0: only logits 1000 and 999 matter; loss = log(1 + e) - (999 - 1000) ... exactly:
    expect(loss[0]).toBeCloseTo(Math.log1p(Math.exp(-1)) + 1, 12);
    expect(predicted[0]).toBe(0);
    // Sample 1: the maximum (-999, class 3) is negative: a max started at 0 would get this wrong.
    expect(predicted[1]).toBe(3);
    const lse = -999 + Math.log(1 + Math.exp(-1) + Math.exp(-2) + Math.exp(-3) + Math.exp(-1));
    expect(loss[1]).toBeCloseTo(lse - -1001, 10);
    for (const v of [...loss, ...dZ]) expect(Number.isFinite(v)).toBe(true);
    // Each gradient row sums to zero (softmax sums to one, the one-hot to one).
    expect(dZ.slice(0, 5).reduce((a, b) => a + b)).toBeCloseTo(0, 13);
    expect(dZ[3]).toBeCloseTo(0.5 * (1 / (1 + Math.E) - 1), 12);
  });
});

describe('float32 path against the float64 oracle', () => {
  it.each(ACTIVATIONS)('%s: loss and gradients agree', (activation: Activation) => {
    const spec: MlpSpec = { layers: [3, 17, 9, 4], activation };
    const data = randomData(53, 3, 4, 7);
    const p32 = initParams(spec, 3);
    const p64 = toFloat64(p32);
    const g32 = zerosLike(spec, (n) => new Float32Array(n));
    const g64 = zerosLike(spec, (n) => new Float64Array(n));
    const r32 = forwardBackward(p32, g32, makeWorkspace(p32, data.size, (n) => new Float32Array(n)), data.x, data.y, data.size);
    const r64 = forwardBackward(p64, g64, makeWorkspace(p64, data.size, (n) => new Float64Array(n)), Float64Array.from(data.x), data.y, data.size);
    // float32 storage between layers: relative error ~ a few ulp (6e-8) per layer, amplified by fan-in
    // sums; 1e-5 relative on the loss and 1e-5 absolute + 1e-4 relative on gradients leave ample margin.
    expect(Math.abs(r32.lossSum - r64.lossSum)).toBeLessThan(1e-5 * Math.abs(r64.lossSum));
    for (let l = 0; l < 3; l++) {
      for (const [a, b] of [[g32.weights[l], g64.weights[l]], [g32.biases[l], g64.biases[l]]] as const) {
        for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(b[i]));
      }
    }
  });
});

describe('gradient check (float64 central differences)', () => {
  const cases: [string, number[], Activation][] = [
    ['assignment 2-12-5 softplus', [2, 12, 5], 'softplus'],
    ['no hidden layer 4-3', [4, 3], 'softplus'],
    ['deep 3-8-7-6-4 relu', [3, 8, 7, 6, 4], 'relu'],
    ['wide 5-40-10 tanh', [5, 40, 10], 'tanh'],
    ['2-9-9-2 sigmoid', [2, 9, 9, 2], 'sigmoid'],
  ];
  it.each(cases)('%s passes', (_name, layers, activation) => {
    const spec = { layers, activation };
    const data = randomData(37, layers[0], layers[layers.length - 1], 11);
    const params = initParams(spec, 5);
    const result = gradientCheck(params, data);
    expect(result.layers).toHaveLength(layers.length - 1);
    expect(result.layers.reduce((s, c) => s + c.parameters, 0)).toBe(parameterCount(spec));
    expect(result.maxRelativeError).toBeLessThan(1e-6);
    expect(result.passed).toBe(true);
  });

  it('catches a wrong gradient', () => {
    // A gradient check that cannot fail is no check: perturbing the loss data after the analytic pass is
    // not possible from outside, so check a model whose derivative is wrong by construction instead:
    // relu at exactly z = 0 has no derivative, and inputs placed there make the check disagree.
    const spec: MlpSpec = { layers: [1, 1, 2], activation: 'relu' };
    const params = initParams(spec, 1);
    params.weights[0][0] = 1;
    const data = makeDataset({ name: 'kink', inputs: 1, classes: 2, x: Float32Array.from([0, 0, 0]), y: Uint32Array.from([0, 1, 1]) });
    expect(gradientCheck(params, data).passed).toBe(false);
  });
});

describe('shuffle', () => {
  it.each([1, 2, 3, 5, 17, 400, 1000, 4097])('is a permutation of %i samples, different per epoch', (n) => {
    const seen = new Uint8Array(n);
    const first: number[] = [];
    for (let i = 0; i < n; i++) {
      const j = shuffledIndex(i, n, 42, 0);
      first.push(j);
      expect(seen[j]).toBe(0);
      seen[j] = 1;
    }
    if (n >= 17) {
      const second = Array.from({ length: n }, (_, i) => shuffledIndex(i, n, 42, 1));
      const otherSeed = Array.from({ length: n }, (_, i) => shuffledIndex(i, n, 43, 0));
      expect(second).not.toEqual(first);
      expect(otherSeed).not.toEqual(first);
      expect(first).not.toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });
});
