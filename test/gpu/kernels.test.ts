// Every WGSL entry point against its CPU twin, on each software adapter that starts here, with seeded
// random inputs whose sizes do not divide the tiles or workgroups (and 1, and large), outputs poisoned
// with NaN first so that an unwritten element shows.
//
// Tolerances. The twins accumulate in float64 and round once; the kernels accumulate in float32, so a sum
// of K terms may differ by up to (K + 1) u sum|terms| (u = 2^-24, Higham's bound for recursive summation,
// which also covers vec4 dot products and fused multiply-adds), plus u |ref| for the twin's own rounding.
// Transcendentals (exp, log) are allowed 3 + 2|x| ulp by WGSL; the activations stay within 1e-5 relative
// for the inputs used here.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activationBackward, activationForward } from '../../src/cpu/activation.ts';
import { matmulBiasActForward, matmulGradInput, matmulGradWeights } from '../../src/cpu/matmul.ts';
import { adamUpdate, momentumUpdate, sgdUpdate, type OptimizerKind } from '../../src/cpu/optimizer.ts';
import { accumulateLossStats, softmax, softmaxCrossEntropy, sumLossStats, type LossStats } from '../../src/cpu/softmaxCrossEntropy.ts';
import { UniformRecord } from '../../src/gpu/buffers.ts';
import { GpuValidationError, type GpuContext } from '../../src/gpu/device.ts';
import { ACTIVATION_CODES, forwardWorkgroups, gradInputWorkgroups, gradWeightsUpdateWorkgroups, gradWeightsWorkgroups, grid1d, KERNEL_CONSTANTS, KERNEL_PROFILES, KernelLibrary, OPTIMIZER_CODES, STATS_BLOCK, type KernelConstants, type KernelName, type KernelProfile } from '../../src/gpu/kernels.ts';
import { acquireNodeGpu } from '../../src/gpu/nodeGpu.ts';
import { ACTIVATIONS, type Activation } from '../../src/model/mlp.ts';
import { gatherBatch, shuffledIndex } from '../../src/cpu/shuffle.ts';
import { availableAdapters, expectClose, poisoned, poisonedU32, randomArray, randomLabels, runKernel, SOFTWARE_ADAPTERS } from './harness.ts';

const U = 2 ** -24;

/** A kernel version under test: its profile, and the constants it runs with over KERNEL_CONSTANTS. */
type Version = readonly [KernelProfile['name'], Partial<KernelConstants>];
const available = await availableAdapters();

it('SwiftShader starts (the adapter CI relies on)', () => {
  expect(available.swiftshader).toBe(true);
});

/** Per-element bound (K + 1) u sum|terms| + u |ref| of a float32 sum of K terms. */
function sumBound(absSums: Float64Array, terms: number, ref: ArrayLike<number>): Float64Array {
  return absSums.map((s, i) => (terms + 1) * U * s + U * Math.abs(ref[i]));
}

/** Extreme and ordinary pre-activations: saturation, underflow of exp, values near 0 and random ones. */
function activationInputs(): Float32Array {
  const extremes = [-400, -300, -100, -88, -30, -10, -1, -0.3, -0.25, -1e-4, -1e-20, 0, 1e-20, 1e-4, 0.2499, 0.25, 0.3, 1, 10, 30, 88, 100, 300, 400];
  const random = randomArray(1037, 11, -12, 12);
  return Float32Array.from([...extremes, ...random]);
}

describe.each(SOFTWARE_ADAPTERS)('kernels on %s', (adapter) => {
  let ctx: GpuContext;
  beforeAll(async () => {
    if (available[adapter]) ctx = await acquireNodeGpu(adapter);
  });
  afterAll(() => ctx?.destroy());
  const test = it.skipIf(!available[adapter]);

  describe.each(ACTIVATIONS)('%s', (activation: Activation) => {
    const constants = { ACTIVATION: ACTIVATION_CODES[activation] };

    test('activationForward', async () => {
      const z = activationInputs();
      const [a] = await runKernel(ctx, 'activationForward', {
        bindings: [poisoned(z.length), z, new UniformRecord().u32(z.length)],
        workgroups: grid1d(z.length, KERNEL_CONSTANTS.ELEMENTWISE_WORKGROUP),
        constants,
      });
      const ref = new Float32Array(z.length);
      activationForward(ref, z, z.length, activation);
      // exp is allowed 3 + 2|x| ulp: below 1e-5 relative for |x| <= 80; beyond, exp underflows and the
      // results (< 1e-34) sit under the absolute floor, which also admits a flushed subnormal.
      expectClose(`${activation} a`, a!, ref, 1e-34, 1e-5);
    });

    test('activationBackward', async () => {
      const z = activationInputs();
      const dA = randomArray(z.length, 12);
      const [dZ] = await runKernel(ctx, 'activationBackward', {
        bindings: [poisoned(z.length), dA, z, new UniformRecord().u32(z.length)],
        workgroups: grid1d(z.length, KERNEL_CONSTANTS.ELEMENTWISE_WORKGROUP),
        constants,
      });
      const ref = new Float32Array(z.length);
      activationBackward(ref, dA, z, z.length, activation);
      // tanh' = 1 - t^2 and sigmoid' = s (1 - s) cancel as t, s -> 1: the float32 result keeps an absolute
      // error of a few ulp of 1 (times |dA| <= 1), not a relative one.
      expectClose(`${activation} dZ`, dZ!, ref, 1e-6, 1e-5);
    });
  });

  // [n, in, out]: 1, sizes prime to the tile, the assignment's layers, and a large batch.
  const forwardCases = [
    [1, 1, 1],
    [1, 2, 12],
    [37, 5, 19],
    [400, 2, 12],
    [400, 12, 5],
    [129, 33, 17],
    [70, 70, 3],
    [4099, 2, 12],
    // Sizes that overhang the tiles and the blocked versions' blocks on every side.
    [3, 13, 130],
    [17, 130, 5],
    [33, 1, 13],
  ] as const;

  // Every version: tiled at two tile sizes, naive, and blocked at the profile's block (16 x 16), the
  // smallest, and two whose rows and columns (4 BLOCK_QUADS) differ.
  const versions: Version[] = [
    ['tiled', { TILE: 16 }],
    ['tiled', { TILE: 8 }],
    ['naive', {}],
    ['blocked', {}],
    ['blocked', { BLOCK_ROWS: 1, BLOCK_QUADS: 1 }],
    ['blocked', { BLOCK_ROWS: 3, BLOCK_QUADS: 2 }],
    ['blocked', { BLOCK_ROWS: 16, BLOCK_QUADS: 1, BLOCK_WORKGROUP: 64 }],
  ];

  describe.each(versions)('matmulBiasActForward, %s %j', (profile, overrides) => {
    const kernel = KERNEL_PROFILES[profile].forward;
    const constants = { ...KERNEL_CONSTANTS, ...overrides };
    describe.each(['softplus', 'tanh', null] as const)('activation %s', (activation) => {
      test.each(forwardCases)('n %i, in %i, out %i', async (n, inSize, outSize) => {
        const x = randomArray(n * inSize, n + 1);
        const W = randomArray(outSize * inSize, inSize + 2);
        const b = randomArray(outSize, outSize + 3);
        // Params packed with gaps, to check the offsets: [junk 3, W, junk 5, b, junk 2].
        const wOffset = 3;
        const bOffset = wOffset + W.length + 5;
        const params = randomArray(bOffset + outSize + 2, 99, 50, 60);
        params.set(W, wOffset);
        params.set(b, bOffset);
        const sizes = new UniformRecord().u32(n).u32(inSize).u32(outSize).u32(wOffset).u32(bOffset);
        const [z, a] = await runKernel(ctx, kernel, {
          bindings: [poisoned(n * outSize), poisoned(n * outSize), x, params, sizes],
          workgroups: forwardWorkgroups(kernel, n, outSize, constants),
          constants: { ...constants, ACTIVATION: ACTIVATION_CODES[activation ?? 'identity'] },
        });
        const refZ = new Float32Array(n * outSize);
        const refA = new Float32Array(n * outSize);
        matmulBiasActForward(refZ, refA, x, W, b, n, inSize, outSize, activation);
        const absSums = new Float64Array(n * outSize);
        for (let s = 0; s < n; s++) {
          for (let o = 0; o < outSize; o++) {
            let sum = Math.abs(b[o]);
            for (let k = 0; k < inSize; k++) sum += Math.abs(x[s * inSize + k] * W[o * inSize + k]);
            absSums[s * outSize + o] = sum;
          }
        }
        const zBound = sumBound(absSums, inSize + 1, refZ);
        expectClose('z', z!, refZ, zBound, 0);
        // |act'| <= 1, so z's error carries over at most once, plus the activation's own 1e-5.
        expectClose('a', a!, refA, zBound, 1e-5);
      });
    });
  });

  /** Runs a matmulGradWeights version into rows of partial sums, then sumGradPartials; returns both. */
  async function gradWeights(version: Version, dZ: Float32Array, A: Float32Array, n: number, outSize: number, inSize: number, chunk: number, rowBase: number) {
    const kernel = KERNEL_PROFILES[version[0]].gradWeights;
    const constants = { ...KERNEL_CONSTANTS, ...version[1] };
    const wOffset = 2;
    const bOffset = wOffset + outSize * inSize + 1;
    const paramCount = bOffset + outSize + 3;
    const rows = rowBase + Math.ceil(n / chunk);
    const sizes = new UniformRecord().u32(n).u32(outSize).u32(inSize).u32(wOffset).u32(bOffset).u32(paramCount).u32(chunk).u32(rowBase).u32(0);
    const [partial] = await runKernel(ctx, kernel, {
      bindings: [poisoned(rows * paramCount), dZ, A, sizes],
      workgroups: gradWeightsWorkgroups(kernel, n, outSize, inSize, chunk, constants),
      constants,
    });
    // The rows before rowBase are not this dispatch's; sum only this batch's rows, from a copy shifted down.
    const own = (partial as Float32Array).slice(rowBase * paramCount);
    const [grads] = await runKernel(ctx, 'sumGradPartials', {
      bindings: [poisoned(paramCount), own, optimizerSizes(paramCount, paramCount, chunk)],
      workgroups: grid1d(paramCount, KERNEL_CONSTANTS.OPTIMIZER_WORKGROUP),
      step: stepRecord({ batchSize: n }),
    });
    return { partial: partial as Float32Array, grads: grads as Float32Array, wOffset, bOffset, paramCount };
  }

  // [n, out, in, chunk, rowBase]
  const gradCases = [
    [1, 1, 1, 1024, 0],
    [37, 19, 5, 16, 0],
    [400, 12, 2, 1024, 0],
    [400, 5, 12, 1024, 1],
    [1000, 5, 12, 64, 0],
    [129, 17, 33, 32, 2],
    [3, 13, 130, 1024, 0],
    [17, 130, 5, 16, 1],
    [33, 1, 13, 16, 0],
  ] as const;

  describe.each(versions)('matmulGradWeights + sumGradPartials, %s %j', (...version) => {
    test.each(gradCases)('n %i, out %i, in %i, chunk %i, rowBase %i', async (n, outSize, inSize, chunk, rowBase) => {
      const dZ = randomArray(n * outSize, n + 5);
      const A = randomArray(n * inSize, n + 6);
      const { partial, grads, wOffset, bOffset, paramCount } = await gradWeights(version, dZ, A, n, outSize, inSize, chunk, rowBase);
      const refW = new Float32Array(outSize * inSize);
      const refB = new Float32Array(outSize);
      matmulGradWeights(refW, refB, dZ, A, n, outSize, inSize);
      const absW = new Float64Array(outSize * inSize);
      const absB = new Float64Array(outSize);
      for (let s = 0; s < n; s++) {
        for (let o = 0; o < outSize; o++) {
          absB[o] += Math.abs(dZ[s * outSize + o]);
          for (let i = 0; i < inSize; i++) absW[o * inSize + i] += Math.abs(dZ[s * outSize + o] * A[s * inSize + i]);
        }
      }
      // Along any path: at most `chunk` additions within a row, then one per row.
      const terms = Math.min(n, chunk) + Math.ceil(n / chunk);
      expectClose('dW', grads.subarray(wOffset, wOffset + refW.length), refW, sumBound(absW, terms, refW), 0);
      expectClose('db', grads.subarray(bOffset, bOffset + outSize), refB, sumBound(absB, terms, refB), 0);
      // Rows before rowBase and parameters of other layers are untouched.
      expect(partial.subarray(0, rowBase * paramCount).every(Number.isNaN), 'rows before rowBase').toBe(true);
      expect(Number.isNaN(partial[rowBase * paramCount]), 'a parameter outside the layer').toBe(true);
    });
  });

  // [n, out, in]: one sample, sizes prime to the tile, the assignment's layers. n <= chunk: one row.
  const gradUpdateCases = [
    [1, 1, 1],
    [37, 19, 5],
    [400, 5, 12],
    [3, 130, 13],
    [17, 5, 130],
    [33, 13, 1],
  ] as const;

  describe.each(versions.filter(([profile, c]) => profile !== 'tiled' || c.TILE === 8))('matmulGradWeightsUpdate, %s %j', (profile, overrides) => {
    const constants = { ...KERNEL_CONSTANTS, ...overrides };
    const kernel = KERNEL_PROFILES[profile].gradWeightsUpdate;
    describe.each([
      ['gd', 0.01],
      ['momentum', 0],
      ['adam', 0.01],
    ] as const)('%s, weight decay %f', (kind: OptimizerKind, weightDecay) => {
      test.each(gradUpdateCases)('n %i, out %i, in %i', async (n, outSize, inSize) => {
        // The layer's parameters inside a packed buffer of two layers: [W other (3), W (out, in), b other (2), b (out)].
        const wOffset = 3;
        const weightCount = wOffset + outSize * inSize;
        const bOffset = weightCount + 2;
        const count = bOffset + outSize;
        const stateStride = count + 7;
        const p = randomArray(count, n + 40);
        // Velocity or first moments in [-0.1, 0.1), second moments in [1e-3, 1e-2) (at stateStride).
        const state = Float32Array.from([...randomArray(stateStride, n + 41, -0.1, 0.1), ...randomArray(stateStride, n + 44, 1e-3, 1e-2)]);
        const dZ = randomArray(n * outSize, n + 42);
        const A = randomArray(n * inSize, n + 43);
        const lr = 0.05;
        const t = 5;
        const [beta1, beta2, momentum, epsilon] = [0.9, 0.999, 0.9, 1e-8];
        const sizes = new UniformRecord().u32(n).u32(outSize).u32(inSize).u32(wOffset).u32(bOffset).u32(count).u32(1024).u32(0).u32(stateStride);
        const [gotP, , , , gotState] = await runKernel(ctx, kernel, {
          bindings: [p.slice(), dZ, A, sizes, state.slice(), optimizerSizes(count, weightCount, 1024, { lr, momentum, beta1, beta2, epsilon, weightDecay })],
          workgroups: gradWeightsUpdateWorkgroups(kernel, outSize, inSize, constants),
          constants: { ...constants, OPTIMIZER: OPTIMIZER_CODES[kind] },
          step: stepRecord({ correction1: 1 - beta1 ** t, correction2: 1 - beta2 ** t }),
        });
        // Twin: matmulGradWeights, then the update of the layer's weights (wd) and biases (wd 0).
        const dW = new Float32Array(outSize * inSize);
        const db = new Float32Array(outSize);
        matmulGradWeights(dW, db, dZ, A, n, outSize, inSize);
        const refP = p.slice();
        const refState = state.slice();
        for (const [at, g, wd] of [[wOffset, dW, weightDecay], [bOffset, db, 0]] as const) {
          const rp = refP.subarray(at, at + g.length);
          const m = refState.subarray(at, at + g.length);
          const v = refState.subarray(stateStride + at, stateStride + at + g.length);
          if (kind === 'gd') sgdUpdate(rp, g, g.length, lr, wd);
          else if (kind === 'momentum') momentumUpdate(rp, m, g, g.length, lr, momentum, wd);
          else adamUpdate(rp, m, v, g, g.length, lr, beta1, beta2, epsilon, wd, t);
        }
        // The gradient's float32 sum over n samples (sumBound with |terms| <= 1), through a few float32
        // operations of the update: lr times it for gd and momentum; Adam's step lr m / sqrt(v) moves by
        // (1 - beta1) times it over sqrt(v) >= 0.03, and by a few ulp relative.
        const gradError = (n + 1) * U * n;
        expectClose('params', gotP!, refP, lr * gradError * (kind === 'adam' ? 4 : 1) + 1e-7, 1e-6);
        // Parameters outside the layer are untouched, and so is their state.
        expect(gotP![0], 'a weight of another layer').toBe(p[0]);
        expect(gotP![weightCount], 'a bias of another layer').toBe(p[weightCount]);
        if (kind !== 'gd') expectClose('state', gotState!, refState, gradError + 1e-9, 1e-6);
        else expect(Array.from(gotState!), 'gd leaves the state alone').toEqual(Array.from(state));
      });
    });
  });

  // Every profile's version; the tiled one not on SwiftShader, where its barriers make it take 8 s.
  const largeVersions: Version[] = [['naive', {}], ['blocked', {}], ...(adapter === 'swiftshader' ? [] : [['tiled', {}] as const])];
  test.each(largeVersions)('matmulGradWeights (%s) stays accurate over 1,000,000 samples', async (...version) => {
    const n = 1_000_000;
    const outSize = 2;
    const inSize = 3;
    const chunk = 1024;
    const dZ = randomArray(n * outSize, 21);
    const A = randomArray(n * inSize, 22);
    const { grads, wOffset, bOffset } = await gradWeights(version, dZ, A, n, outSize, inSize, chunk, 0);
    const refW = new Float32Array(outSize * inSize);
    const refB = new Float32Array(outSize);
    matmulGradWeights(refW, refB, dZ, A, n, outSize, inSize);
    // The terms are zero-mean, so partial sums stay within a few standard deviations sqrt(sum t^2) of 0;
    // along any path there are chunk + rows (2001) additions, each off by at most u times a partial sum.
    // A single float32 running sum would have 1e6 additions on its path: 500 times this bound.
    const sq = new Float64Array(outSize * (inSize + 1));
    for (let s = 0; s < n; s++) {
      for (let o = 0; o < outSize; o++) {
        const d = dZ[s * outSize + o];
        for (let i = 0; i < inSize; i++) sq[o * (inSize + 1) + i] += (d * A[s * inSize + i]) ** 2;
        sq[o * (inSize + 1) + inSize] += d * d;
      }
    }
    const paths = chunk + Math.ceil(n / chunk);
    const bound = (o: number, i: number) => paths * U * 4 * Math.sqrt(sq[o * (inSize + 1) + i]);
    expectClose('dW', grads.subarray(wOffset, wOffset + refW.length), refW, Array.from(refW, (_, j) => bound(Math.floor(j / inSize), j % inSize)), U);
    expectClose('db', grads.subarray(bOffset, bOffset + outSize), refB, Array.from(refB, (_, o) => bound(o, inSize)), U);
  });

  // [n, out, in]
  const gradInputCases = [
    [1, 1, 1],
    [37, 19, 5],
    [400, 5, 12],
    [129, 17, 33],
    [4099, 5, 12],
    [3, 130, 13],
    [17, 5, 130],
    [33, 13, 1],
  ] as const;

  test.each(gradInputCases)('matmulGradInput: n %i, out %i, in %i', async (n, outSize, inSize) => {
    const dZ = randomArray(n * outSize, n + 7);
    const W = randomArray(outSize * inSize, n + 8);
    const params = new Float32Array(W.length + 4).fill(77);
    params.set(W, 4);
    const [dA] = await runKernel(ctx, 'matmulGradInput', {
      bindings: [poisoned(n * inSize), dZ, params, new UniformRecord().u32(n).u32(outSize).u32(inSize).u32(4)],
      workgroups: grid1d(n * inSize, KERNEL_CONSTANTS.ELEMENTWISE_WORKGROUP),
    });
    const ref = new Float32Array(n * inSize);
    matmulGradInput(ref, dZ, W, n, outSize, inSize);
    expectClose('dA', dA!, ref, sumBound(absProducts(dZ, W, n, outSize, inSize), outSize, ref), 0);
  });

  describe.each(versions)('matmulGradInputActivationBackward, %s %j', (profile, overrides) => {
    const kernel = KERNEL_PROFILES[profile].gradInputActivationBackward;
    const constants = { ...KERNEL_CONSTANTS, ...overrides };
    describe.each(ACTIVATIONS)('%s', (activation) => {
      test.each(gradInputCases)('n %i, out %i, in %i', async (n, outSize, inSize) => {
        const dZ = randomArray(n * outSize, n + 9);
        const W = randomArray(outSize * inSize, n + 10);
        const zBelow = randomArray(n * inSize, n + 11, -6, 6);
        const params = new Float32Array(W.length + 4).fill(77);
        params.set(W, 4);
        const [dZBelow] = await runKernel(ctx, kernel, {
          bindings: [poisoned(n * inSize), dZ, params, zBelow, new UniformRecord().u32(n).u32(outSize).u32(inSize).u32(4)],
          workgroups: gradInputWorkgroups(kernel, n, inSize, constants),
          constants: { ...constants, ACTIVATION: ACTIVATION_CODES[activation] },
        });
        // Twin: matmulGradInput, then activationBackward of the layer below.
        const dA = new Float32Array(n * inSize);
        const ref = new Float32Array(n * inSize);
        matmulGradInput(dA, dZ, W, n, outSize, inSize);
        activationBackward(ref, dA, zBelow, n * inSize, activation);
        // dA's summation bound (|act'| <= 1), plus the derivative's own error (see activationBackward).
        const bound = sumBound(absProducts(dZ, W, n, outSize, inSize), outSize, dA).map((b, i) => b + 1e-6 * Math.abs(dA[i]));
        expectClose('dZ below', dZBelow!, ref, bound, 1e-5);
      });
    });
  });

  // [n, classes]
  const lossCases = [
    [1, 2],
    [63, 5],
    [400, 5],
    [1001, 10],
    [65, 3],
  ] as const;

  /** Logits with the hard cases: huge (+-1000), all negative, ties. */
  function logits(n: number, classes: number, seed: number): Float32Array {
    const z = randomArray(n * classes, seed, -8, 8);
    if (n > 3) {
      for (let c = 0; c < classes; c++) {
        z[c] = 1000 - c; // sample 0: huge
        z[classes + c] = -1000 - 3 * c; // sample 1: all very negative
        z[2 * classes + c] = 0.5; // sample 2: all tied
      }
    }
    return z;
  }

  test.each(lossCases)('softmaxCrossEntropy: n %i, classes %i', async (n, classes) => {
    const z = logits(n, classes, n + 12);
    const y = randomLabels(n, classes, n + 13);
    const scale = 1 / n;
    const [results, dZ] = await runKernel(ctx, 'softmaxCrossEntropy', {
      bindings: [poisonedU32(2 * n), poisoned(n * classes), z, y, new UniformRecord().u32(n).u32(classes).f32(scale)],
      workgroups: grid1d(n, KERNEL_CONSTANTS.LOSS_WORKGROUP),
    });
    const refLoss = new Float32Array(n);
    const refDZ = new Float32Array(n * classes);
    const refPredicted = new Uint32Array(n);
    softmaxCrossEntropy(refLoss, refDZ, refPredicted, z, y, n, classes, scale);
    const out = results as Uint32Array;
    const loss = new Float32Array(out.buffer).filter((_, i) => i % 2 === 0);
    const predicted = out.filter((_, i) => i % 2 === 1);
    // log(sumExp) is allowed 2^-21 absolute by WGSL (sumExp in [1, classes]); lse - z[y] then rounds
    // relative to |z| (up to 1000 here).
    expectClose('loss', loss, refLoss, 2e-6, 1e-5);
    expect(Array.from(predicted), 'predicted').toEqual(Array.from(refPredicted));
    // p = exp(z - lse) inherits lse's error and exp's 3 + 2|x| ulp (1e-5 relative for |x| < 80).
    expectClose('dZ', dZ!, refDZ, 2e-6 * scale, 1e-5);
  });

  test.each(lossCases)('softmax: n %i, classes %i', async (n, classes) => {
    const z = logits(n, classes, n + 14);
    const [probs] = await runKernel(ctx, 'softmax', {
      bindings: [poisoned(n * classes), z, new UniformRecord().u32(n).u32(classes).f32(0)],
      workgroups: grid1d(n, KERNEL_CONSTANTS.LOSS_WORKGROUP),
    });
    const ref = new Float32Array(n * classes);
    softmax(ref, z, n, classes);
    expectClose('probs', probs!, ref, 2e-6, 1e-5);
  });

  describe.each(['tiled', 'naive'] as const)('softmaxCrossEntropyStats, %s constants', (profile) => {
    const constants = KERNEL_PROFILES[profile].constants;
    test.each([
      [1, 2],
      [400, 5],
      [2500, 10],
    ] as const)('n %i, classes %i: the gradient of softmaxCrossEntropy, the block sums of accumulateLossStats, bit for bit', async (n, classes) => {
      const z = logits(n, classes, n + 15);
      const y = randomLabels(n, classes, n + 16);
      const scale = 1 / n;
      const blocks = Math.ceil(n / STATS_BLOCK);
      // Entries at statsBase 2 + blockBase 1; the ones before and after stay poisoned.
      const [stats, dZ] = await runKernel(ctx, 'softmaxCrossEntropyStats', {
        bindings: [poisonedU32(2 * (blocks + 4)), poisoned(n * classes), z, y, new UniformRecord().u32(n).u32(classes).f32(scale).u32(1)],
        workgroups: [blocks],
        constants,
        step: stepRecord({ statsBase: 2 }),
      });
      // The unfused pair on the same input.
      const [results, refDZ] = await runKernel(ctx, 'softmaxCrossEntropy', {
        bindings: [poisonedU32(2 * n), poisoned(n * classes), z, y, new UniformRecord().u32(n).u32(classes).f32(scale)],
        workgroups: grid1d(n, KERNEL_CONSTANTS.LOSS_WORKGROUP),
      });
      const [refStats] = await runKernel(ctx, 'accumulateLossStats', {
        bindings: [poisonedU32(2 * (blocks + 4)), results!, y, new UniformRecord().u32(n).u32(1)],
        workgroups: [blocks],
        constants,
        step: stepRecord({ statsBase: 2 }),
      });
      expect(Array.from(stats!), 'loss statistics').toEqual(Array.from(refStats!));
      expect(stats!.subarray(0, 6).every((v) => v === 0xffffffff), 'entries before statsBase + blockBase').toBe(true);
      expect(Buffer.from((dZ as Float32Array).buffer).equals(Buffer.from((refDZ as Float32Array).buffer)), 'dZ bitwise').toBe(true);
      // And against the twin, as softmaxCrossEntropy is (see there).
      const refLoss = new Float32Array(n);
      const twinDZ = new Float32Array(n * classes);
      const predicted = new Uint32Array(n);
      softmaxCrossEntropy(refLoss, twinDZ, predicted, z, y, n, classes, scale);
      expectClose('dZ', dZ!, twinDZ, 2e-6 * scale, 1e-5);
      let lossSum = 0;
      let correct = 0;
      for (let s = 0; s < n; s++) {
        lossSum += refLoss[s];
        if (predicted[s] === y[s]) correct++;
      }
      const f = new Float32Array((stats as Uint32Array).buffer);
      let gotLoss = 0;
      let gotCorrect = 0;
      for (let b = 0; b < blocks; b++) {
        gotLoss += f[2 * (3 + b)];
        gotCorrect += stats![2 * (3 + b) + 1];
      }
      // Huge logits make single losses ~1000: their float32 rounding dominates (1e-5 relative of the sum).
      expectClose('loss sum', [gotLoss], [lossSum], 1e-3, 1e-5);
      expect(gotCorrect, 'right predictions').toBe(correct);
    });
  });

  describe.each(['tiled', 'naive'] as const)('accumulateLossStats and recordEpoch, %s constants', (profile) => {
    const constants = KERNEL_PROFILES[profile].constants;
    test.each([1, 1023, 1024, 5000])('%i samples per batch', async (batchSize) => {
      // Three batches of an epoch (the last one smaller) plus a test set; per-sample results as the loss
      // kernel leaves them. Reference: the float64 sums forwardBackward and evaluate compute.
      const classes = 5;
      const steps = 3;
      const trainSize = 2 * batchSize + Math.max(1, Math.floor(batchSize / 3));
      const blocksPerBatch = Math.ceil(batchSize / STATS_BLOCK);
      const stats = new Uint32Array(2 * steps * blocksPerBatch).fill(0x7fc00000); // NaN losses, poisoned counts
      let refLoss = 0;
      let refCorrect = 0;
      let statsOut: Uint32Array = stats;
      const shape = { workgroup: constants.STATS_WORKGROUP, perInvocation: constants.STATS_PER_INVOCATION };
      const twinEntries: LossStats[] = [];
      for (let k = 0; k < steps; k++) {
        const n = Math.min(batchSize, trainSize - k * batchSize);
        const { results, y, lossSum, correct } = sampleResults(n, classes, 100 + k);
        refLoss += lossSum;
        refCorrect += correct;
        const twin = accumulateLossStats(...lossesOf(results), y, n, shape);
        twinEntries.push(...twin, ...Array.from({ length: blocksPerBatch - twin.length }, () => ({ lossSum: NaN, correct: 0 })));
        const [out] = await runKernel(ctx, 'accumulateLossStats', {
          bindings: [statsOut, results, y, new UniformRecord().u32(n).u32(0)],
          workgroups: [Math.ceil(n / STATS_BLOCK)],
          step: stepRecord({ statsBase: k * blocksPerBatch }),
          constants,
        });
        statsOut = out as Uint32Array;
      }
      const testSize = 777;
      const testSet = sampleResults(testSize, classes, 200);
      const testBlocks = Math.ceil(testSize / STATS_BLOCK);
      const [testStats] = await runKernel(ctx, 'accumulateLossStats', {
        bindings: [poisonedU32(2 * testBlocks), testSet.results, testSet.y, new UniformRecord().u32(testSize).u32(0)],
        workgroups: [testBlocks],
        step: stepRecord({}),
        constants,
      });
      const history = poisonedU32(4 * 3);
      const [record] = await runKernel(ctx, 'recordEpoch', {
        bindings: [history, statsOut, testStats!, new UniformRecord().u32(trainSize).u32(batchSize).u32(blocksPerBatch).u32(steps).u32(testBlocks)],
        workgroups: [1],
        step: stepRecord({ historySlot: 1 }),
        constants,
      });
      const r = record as Uint32Array;
      const f = new Float32Array(r.buffer);
      expect(r[0], 'slot 0 untouched').toBe(0xffffffff);
      // The CPU twins, bit for bit: every block entry, then the epoch's sums.
      const gpuEntries = new Float32Array(statsOut.buffer);
      twinEntries.forEach((entry, e) => {
        if (Number.isNaN(entry.lossSum)) return; // blocks past a smaller last batch: never written
        expect([gpuEntries[2 * e], statsOut[2 * e + 1]], `train entry ${e}`).toEqual([entry.lossSum, entry.correct]);
      });
      const testTwin = accumulateLossStats(...lossesOf(testSet.results), testSet.y, testSize, shape);
      const trainSum = sumLossStats(twinEntries, shape, { trainSize, batchSize, blocksPerBatch, steps });
      const testSum = sumLossStats(testTwin, shape, null);
      expect([f[4], r[5], f[6], r[7]], 'the epoch record').toEqual([trainSum.lossSum, trainSum.correct, testSum.lossSum, testSum.correct]);
      // Positive terms: the float32 tree sums are within (log2 256 + 4 + entries) u of the float64 sum.
      expectClose('train loss sum', [f[4]], [refLoss], 0, 1e-5);
      expect(r[5], 'train correct').toBe(refCorrect);
      expectClose('test loss sum', [f[6]], [testSet.lossSum], 0, 1e-5);
      expect(r[7], 'test correct').toBe(testSet.correct);
    });
  });

  // [n, seed, epoch, batchStart, count]: 1, tiny domains, a last partial batch, a power of two and one
  // past it, a million samples, and seeds and epochs that exercise the 32-bit wrap-around.
  const gatherCases = [
    [1, 7, 0, 0, 1],
    [2, 7, 3, 0, 2],
    [5, 1, 0, 3, 2],
    [400, 42, 12, 384, 16],
    [65536, 0xdeadbeef, 1, 0, 65536],
    [65537, 3, 999, 0, 65537],
    [1_000_000, 0xffffffff, 4_000_000, 123_456, 5003],
  ] as const;

  test.each(gatherCases)('gatherBatch is bit-exact: n %i, seed %i, epoch %i, start %i, count %i', async (n, seed, epoch, batchStart, count) => {
    const inputs = 2;
    // x[i] = (2i, 2i + 1) and y[i] = i: exact in float32 below 2^24, so the copy is checked value by value.
    const x = Float32Array.from({ length: n * inputs }, (_, j) => j);
    const y = Uint32Array.from({ length: n }, (_, i) => i);
    const segments = n >= 1000 ? [[0, Math.floor(n / 3)], [Math.floor(n / 3), n - Math.floor(n / 3)]] : [[0, n]];
    let batchX = poisoned(count * inputs);
    let batchY = poisonedU32(count);
    for (const [segmentStart, segmentCount] of segments) {
      const [bx, by] = await runKernel(ctx, 'gatherBatch', {
        bindings: [
          batchX,
          batchY,
          x.subarray(segmentStart * inputs, (segmentStart + segmentCount) * inputs),
          y.subarray(segmentStart, segmentStart + segmentCount),
          new UniformRecord().u32(count).u32(0).u32(inputs).u32(n).u32(seed).u32(segmentStart).u32(segmentCount),
        ],
        workgroups: grid1d(count, KERNEL_CONSTANTS.GATHER_WORKGROUP),
        step: stepRecord({ epoch, batchStart }),
      });
      batchX = bx as Float32Array;
      batchY = by as Uint32Array;
    }
    // The CPU twin, and the values it must give by construction of x and y.
    const refX = new Float32Array(count * inputs);
    const refY = new Uint32Array(count);
    gatherBatch(refX, refY, x, y, batchStart, count, inputs, n, seed, epoch);
    const firstBad = refY.findIndex((v, k) => batchY[k] !== v);
    expect(firstBad, `first mismatch at ${firstBad}: got ${batchY[firstBad]}, expected ${refY[firstBad]}`).toBe(-1);
    expect(refY.every((v, k) => v === shuffledIndex(batchStart + k, n, seed, epoch))).toBe(true);
    const xOk = refX.every((v, j) => batchX[j] === v);
    expect(xOk, 'gathered x rows').toBe(true);
  });

  test.each([
    ['sgdUpdate', 0],
    ['sgdUpdate', 0.01],
    ['momentumUpdate', 0.01],
    ['adamUpdate', 0],
    ['adamUpdate', 0.01],
  ] as const)('%s with weight decay %f', async (kernel, weightDecay) => {
    const count = 1337;
    const weightCount = 1000;
    const rows = 3;
    const chunk = 1024;
    const batchSize = 2 * chunk + 5; // three rows of partial sums
    const lr = 0.05;
    const momentum = 0.9;
    const beta1 = 0.9;
    const beta2 = 0.999;
    const epsilon = 1e-8;
    const t = 7;
    const p = randomArray(count, 31);
    const partial = randomArray(rows * count, 32, -0.1, 0.1);
    const state1 = randomArray(count, 33, -0.1, 0.1);
    const state2 = randomArray(count, 34, 0, 0.01);
    const sizes = optimizerSizes(count, weightCount, chunk, { lr, momentum, beta1, beta2, epsilon, weightDecay });
    const step = stepRecord({ batchSize, correction1: 1 - beta1 ** t, correction2: 1 - beta2 ** t });
    const outputs: Float32Array[] = kernel === 'sgdUpdate' ? [p] : kernel === 'momentumUpdate' ? [p, state1] : [p, state1, state2];
    const got = await runKernel(ctx, kernel as KernelName, { bindings: [...outputs.map((o) => o.slice()), partial, sizes], workgroups: grid1d(count, KERNEL_CONSTANTS.OPTIMIZER_WORKGROUP), step });
    // Twin: the rows summed (float64, rounded once), then the update on weights (wd) and biases (wd 0).
    const g = new Float32Array(count);
    for (let i = 0; i < count; i++) g[i] = partial[i] + partial[count + i] + partial[2 * count + i];
    const ref = outputs.map((o) => o.slice());
    for (const [start, end, wd] of [[0, weightCount, weightDecay], [weightCount, count, 0]] as const) {
      const [rp, r1, r2] = ref.map((r) => r.subarray(start, end));
      const rg = g.subarray(start, end);
      if (kernel === 'sgdUpdate') sgdUpdate(rp, rg, end - start, lr, wd);
      else if (kernel === 'momentumUpdate') momentumUpdate(rp, r1, rg, end - start, lr, momentum, wd);
      else adamUpdate(rp, r1, r2, rg, end - start, lr, beta1, beta2, epsilon, wd, t);
    }
    // A few float32 operations per element: a few ulp of the largest term; lr times a few ulp of the
    // step for Adam, whose m / sqrt(v) ratio is well conditioned away from v = 0.
    ref.forEach((r, j) => expectClose(`${kernel} output ${j}`, got[j]!, r, 1e-7, 1e-6));
  });

  test('noop', async () => {
    await runKernel(ctx, 'noop', { bindings: [], workgroups: [1] });
  });

  test("a pipeline the device refuses is a GpuValidationError with the adapter's message", async () => {
    // 32 x 32 = 1024 invocations per workgroup, over every adapter's limit of 256.
    const refused = KernelLibrary.for(ctx).pipeline('matmulBiasActForward', { TILE: 32 });
    await expect(refused).rejects.toThrow(GpuValidationError);
    await expect(refused).rejects.toThrow(ctx.adapterName);
  });

  test.each([
    ['BLOCK_ROWS', 17],
    ['BLOCK_ROWS', 0],
    ['BLOCK_QUADS', 5],
    ['BLOCK_QUADS', 1.5],
  ] as const)('a blocked kernel refuses %s = %f, past its accumulator arrays', async (name, value) => {
    const refused = KernelLibrary.for(ctx).pipeline('matmulGradWeightsBlocked', { [name]: value });
    await expect(refused).rejects.toThrow(GpuValidationError);
    await expect(refused).rejects.toThrow(`${name} must be an integer from 1 to`);
  });
});

function absProducts(dZ: Float32Array, W: Float32Array, n: number, outSize: number, inSize: number): Float64Array {
  const sums = new Float64Array(n * inSize);
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < inSize; i++) {
      let sum = 0;
      for (let o = 0; o < outSize; o++) sum += Math.abs(dZ[s * outSize + o] * W[o * inSize + i]);
      sums[s * inSize + i] = sum;
    }
  }
  return sums;
}

/** The losses and predictions of interleaved per-sample results. */
function lossesOf(results: Uint32Array): [Float32Array, Uint32Array] {
  const f = new Float32Array(results.buffer);
  const n = results.length / 2;
  return [Float32Array.from({ length: n }, (_, s) => f[2 * s]), Uint32Array.from({ length: n }, (_, s) => results[2 * s + 1])];
}

/** Per-sample results (loss, predicted) interleaved as the loss kernel writes them, labels, and their sums. */
function sampleResults(n: number, classes: number, seed: number) {
  const losses = randomArray(n, seed, 0, 3);
  const predicted = randomLabels(n, classes, seed + 1);
  const y = randomLabels(n, classes, seed + 2);
  const results = new Uint32Array(2 * n);
  const f = new Float32Array(results.buffer);
  let lossSum = 0;
  let correct = 0;
  for (let s = 0; s < n; s++) {
    f[2 * s] = losses[s];
    results[2 * s + 1] = predicted[s];
    lossSum += losses[s];
    if (predicted[s] === y[s]) correct++;
  }
  return { results, y, lossSum, correct };
}

/** A step.wgsl record. */
function stepRecord(fields: { epoch?: number; batchStart?: number; batchSize?: number; statsBase?: number; historySlot?: number; correction1?: number; correction2?: number }): UniformRecord {
  return new UniformRecord()
    .u32(fields.epoch ?? 0)
    .u32(fields.batchStart ?? 0)
    .u32(fields.batchSize ?? 0)
    .u32(fields.statsBase ?? 0)
    .u32(fields.historySlot ?? 0)
    .f32(fields.correction1 ?? 1)
    .f32(fields.correction2 ?? 1);
}

/** optimizer.wgsl's OptimizerSizes. */
function optimizerSizes(count: number, weightCount: number, chunk: number, h: { lr?: number; momentum?: number; beta1?: number; beta2?: number; epsilon?: number; weightDecay?: number } = {}): UniformRecord {
  const beta1 = h.beta1 ?? 0.9;
  const beta2 = h.beta2 ?? 0.999;
  return new UniformRecord()
    .u32(count)
    .u32(weightCount)
    .u32(chunk)
    .f32(h.lr ?? 0.1)
    .f32(h.momentum ?? 0.9)
    .f32(beta1)
    .f32(beta2)
    .f32(1 - beta1)
    .f32(1 - beta2)
    .f32(h.epsilon ?? 1e-8)
    .f32(h.weightDecay ?? 0);
}
