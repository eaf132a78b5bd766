// The fast CPU trainer (src/cpu/fastTrainer.ts) against the CPU reference, the specification: its exp and
// log1p against Math's, then whole training runs over architectures, activations, optimizers and batch
// sizes (none a multiple of the 64-sample block or the 4-wide register blocking), extreme inputs, and
// the Trainer interface around them (continuing, evaluate, predict, dispose); and which trainer the CPU
// backend choices start.
//
// Tolerances. Both trainers run the same float32 computation with float64 sums. The fast one groups the
// weight-gradient sums by block (a float64 reordering, ~1e-16 relative) and uses its own exp (within
// 2^-51 relative) and log1p (within 1e-13 relative): a stored float32 value differs from the
// reference's, if at all, by one ulp (6e-8 relative), rarely. Gradient descent carries such differences
// along without amplifying them, so after tens of epochs losses agree to 1e-5 relative and parameters to
// 1e-4 (plus 1e-6 absolute for those near 0). A real error (a missing 1/n, a wrong index in a remainder
// loop, a different batch order) moves losses by percents after the first epoch.

import { describe, expect, it } from 'vitest';
import { CpuTrainer } from '../../src/cpu/cpuTrainer.ts';
import { expNonPositive, fastSoftplus, log1pUnit } from '../../src/cpu/fastNetwork.ts';
import { FastCpuTrainer } from '../../src/cpu/fastTrainer.ts';
import { softplus } from '../../src/cpu/activation.ts';
import { DEFAULT_OPTIMIZER, type OptimizerConfig } from '../../src/cpu/optimizer.ts';
import { makeDataset, type Dataset } from '../../src/data/dataset.ts';
import { makeSyntheticSplit } from '../../src/data/synthetic.ts';
import { NoGpuError } from '../../src/gpu/device.ts';
import { flattenParams, initParams, type MlpSpec } from '../../src/model/mlp.ts';
import { createTrainer } from '../../src/train/backend.ts';
import type { EpochRecord } from '../../src/train/metrics.ts';
import type { TrainerOptions } from '../../src/train/trainer.ts';
import { expectClose, randomArray, randomLabels } from '../numeric.ts';

const LOSS_RTOL = 1e-5;
const PARAM_RTOL = 1e-4;
const PARAM_ATOL = 1e-6;

function randomDataset(name: string, size: number, inputs: number, classes: number, seed: number, scale = 2): Dataset {
  return makeDataset({ name, inputs, classes, x: randomArray(size * inputs, seed, -scale, scale), y: randomLabels(size, classes, seed + 1) });
}

function options(spec: MlpSpec, train: Dataset, test: Dataset | undefined, optimizer: Partial<OptimizerConfig>, batchSize: number): TrainerOptions {
  return { params: initParams(spec, 5), train, test, optimizer: { ...DEFAULT_OPTIMIZER, ...optimizer }, batchSize, shuffleSeed: 9 };
}

/** Losses within LOSS_RTOL; accuracies differ by at most one sample (one may sit on a decision boundary). */
function expectSameHistory(fast: EpochRecord[], reference: EpochRecord[], train: Dataset, test?: Dataset): void {
  expect(fast.map((r) => r.epoch)).toEqual(reference.map((r) => r.epoch));
  expectClose('train loss per epoch', fast.map((r) => r.trainLoss), reference.map((r) => r.trainLoss), 0, LOSS_RTOL);
  expectClose('test loss per epoch', fast.map((r) => r.testLoss), reference.map((r) => r.testLoss), 0, LOSS_RTOL);
  expectClose('train accuracy per epoch', fast.map((r) => r.trainAccuracy), reference.map((r) => r.trainAccuracy), 1 / train.size, 0);
  if (test) expectClose('test accuracy per epoch', fast.map((r) => r.testAccuracy), reference.map((r) => r.testAccuracy), 1 / test.size, 0);
}

async function expectSameParams(fast: CpuTrainer, reference: CpuTrainer): Promise<void> {
  expectClose('parameters (W0, b0, W1, b1, ...)', flattenParams(await fast.getParams()), flattenParams(await reference.getParams()), PARAM_ATOL, PARAM_RTOL);
}

describe('the fast transcendentals', () => {
  it('expNonPositive is within 2^-51 relative of Math.exp on [-745, 0], 0 below, NaN for NaN', () => {
    const xs = [0, -0, -1e-300, -1e-10, -0.5, -Math.LN2 / 128, -1, -20, -87.3, -103.9, -700, -708.4, -744.4, ...randomArray(20_000, 3, -745, 0), ...randomArray(20_000, 4, -1, 0)];
    let worst = 0;
    for (const x of xs) {
      const reference = Math.exp(x);
      // Below e^-708 the result is subnormal: compare against the smallest normal's ulp instead.
      const err = Math.abs(expNonPositive(x) - reference) / Math.max(reference, 2 ** -1022);
      worst = Math.max(worst, err);
    }
    expect(worst).toBeLessThanOrEqual(2 * Number.EPSILON);
    expect(expNonPositive(0)).toBe(1);
    expect(expNonPositive(-746)).toBe(0);
    expect(expNonPositive(-1e4)).toBe(0);
    expect(expNonPositive(-Infinity)).toBe(0);
    expect(expNonPositive(NaN)).toBeNaN();
  });

  it('log1pUnit is within 1e-13 relative of Math.log1p on [0, 1], tiny arguments included', () => {
    let worst = 0;
    for (const u of [0, 1e-300, 1e-12, 1 / 128, 0.25, 0.5, 1 - 2 ** -53, 1, ...randomArray(20_000, 5, 0, 1), ...randomArray(2_000, 8, 0, 1e-6)]) {
      const reference = Math.log1p(u);
      worst = Math.max(worst, reference === 0 ? Math.abs(log1pUnit(u)) : Math.abs(log1pUnit(u) / reference - 1));
    }
    expect(worst).toBeLessThan(1e-13);
  });

  it('softplus rounded to float32 is the reference rounded to float32, finite at |z| of 1e4', () => {
    // Errors of ~1e-13 could in principle flip a float32 rounding (1 ulp); on these 50,000 values none does.
    const differing: string[] = [];
    for (const z of [0, -0, 1e-8, -1e-8, 15, -15, 88, -88, 103, -103, 400, -400, 1e4, -1e4, ...randomArray(50_000, 6, -30, 30)]) {
      const fast = Math.fround(fastSoftplus(z));
      const reference = Math.fround(softplus(z));
      if (fast !== reference) differing.push(`softplus(${z}): ${fast}, reference ${reference}`);
    }
    expect(differing).toEqual([]);
    expect(fastSoftplus(1e4)).toBe(1e4);
    expect(fastSoftplus(-1e4)).toBe(0);
    expect(fastSoftplus(0)).toBeCloseTo(Math.LN2, 14);
  });
});

describe('FastCpuTrainer matches CpuTrainer', () => {
  const rings = makeSyntheticSplit('rings5', { seed: 1 });

  it("the assignment's run (2-12-5 softplus, full-batch GD lr 0.1, 400 samples, 300 epochs)", async () => {
    const o = options({ layers: [2, 12, 5], activation: 'softplus' }, rings.train, rings.test, { kind: 'gd', lr: 0.1 }, 0);
    const reference = new CpuTrainer(o);
    const fast = new FastCpuTrainer(o);
    expectSameHistory(await fast.train(300), await reference.train(300), rings.train, rings.test);
    await expectSameParams(fast, reference);
    expect(fast.deviceName).toBe('CPU (fast float32)');
    expect(reference.deviceName).toBe('CPU reference (float32)');
  });

  // Sizes chosen to miss every multiple: batches and sets not multiples of the 64-sample block, widths
  // not multiples of 4 (the register blocking's remainder loops), layers of width 1..70.
  const cases: [string, MlpSpec, Partial<OptimizerConfig>, number, number][] = [
    ['3-7-6-4 tanh, momentum, weight decay, batch 37', { layers: [3, 7, 6, 4], activation: 'tanh' }, { kind: 'momentum', lr: 0.05, weightDecay: 1e-3 }, 37, 203],
    ['5-9-3 relu, adam, batch 64', { layers: [5, 9, 3], activation: 'relu' }, { kind: 'adam', lr: 0.01 }, 64, 150],
    ['2-13-2 sigmoid, full-batch GD', { layers: [2, 13, 2], activation: 'sigmoid' }, { kind: 'gd', lr: 0.5 }, 0, 131],
    ['4-5-1-5-3 softplus, adam, weight decay, batch 50', { layers: [4, 5, 1, 5, 3], activation: 'softplus' }, { kind: 'adam', lr: 0.02, weightDecay: 1e-2 }, 50, 177],
    ['6-70-10 softplus, momentum, full batch of 130 (two blocks, the second partial)', { layers: [6, 70, 10], activation: 'softplus' }, { kind: 'momentum', lr: 0.1 }, 0, 130],
    ['9-3 (no hidden layer), GD, batch 1', { layers: [9, 3], activation: 'softplus' }, { kind: 'gd', lr: 0.05 }, 1, 23],
  ];
  it.each(cases)('%s', async (_, spec, optimizer, batchSize, size) => {
    const classes = spec.layers[spec.layers.length - 1];
    const train = randomDataset('train', size, spec.layers[0], classes, 11);
    const test = randomDataset('test', 67, spec.layers[0], classes, 13);
    const o = options(spec, train, test, optimizer, batchSize);
    const reference = new CpuTrainer(o);
    const fast = new FastCpuTrainer(o);
    // Uneven train() calls: shuffling and Adam's step count continue across them.
    const fastHistory = [...(await fast.train(7)), ...(await fast.train(1)), ...(await fast.train(12))];
    expectSameHistory(fastHistory, await reference.train(20), train, test);
    await expectSameParams(fast, reference);
  });

  it('a continued run (startEpoch 7) resumes epoch numbering, shuffling and the optimizer step count', async () => {
    const o = { ...options({ layers: [2, 12, 5], activation: 'softplus' }, rings.train, rings.test, { kind: 'adam', lr: 0.01 }, 48), startEpoch: 7 };
    const reference = new CpuTrainer(o);
    const fast = new FastCpuTrainer(o);
    const history = await fast.train(5);
    expect(history[0].epoch).toBe(8);
    expect(fast.epochsDone).toBe(12);
    expect(fast.checkpoint().epochsDone).toBe(12);
    expectSameHistory(history, await reference.train(5), rings.train, rings.test);
    await expectSameParams(fast, reference);
  });

  it('extreme inputs (pre-activations of about ±1e4) stay finite and agree', async () => {
    // Inputs up to ±1e4 through Glorot weights of up to ~0.77: |z| up to ~1e4 in both layers.
    const train = randomDataset('huge', 97, 2, 3, 17, 1e4);
    const o = options({ layers: [2, 8, 3], activation: 'softplus' }, train, undefined, { kind: 'gd', lr: 1e-4 }, 0);
    const reference = new CpuTrainer(o);
    const fast = new FastCpuTrainer(o);
    const fastHistory = await fast.train(5);
    for (const r of fastHistory) expect(Number.isFinite(r.trainLoss), `epoch ${r.epoch} loss ${r.trainLoss}`).toBe(true);
    expect(flattenParams(await fast.getParams()).every(Number.isFinite)).toBe(true);
    expectSameHistory(fastHistory, await reference.train(5), train);
    await expectSameParams(fast, reference);
  });

  it('evaluate and predict agree on a set larger than a block, and dispose ends the trainer', async () => {
    const spec: MlpSpec = { layers: [2, 12, 5], activation: 'softplus' };
    const o = options(spec, rings.train, undefined, { kind: 'gd', lr: 0.1 }, 0);
    const reference = new CpuTrainer(o);
    const fast = new FastCpuTrainer(o);
    await reference.train(30);
    await fast.train(30);
    const data = randomDataset('eval', 1000, 2, 5, 19, 6);
    const [fastEval, referenceEval] = [await fast.evaluate(data), await reference.evaluate(data)];
    expectClose('evaluation loss', [fastEval.loss], [referenceEval.loss], 0, LOSS_RTOL);
    expectClose('evaluation accuracy', [fastEval.accuracy], [referenceEval.accuracy], 1 / data.size, 0);
    const n = 333;
    const x = data.x.subarray(0, 2 * n);
    // Probabilities in [0, 1]: an absolute bound of a few float32 ulp of 1.
    expectClose('class probabilities', await fast.predict(x, n), await reference.predict(x, n), 1e-6, 0);
    await expect(fast.evaluate(makeDataset({ name: 'wide', inputs: 3, classes: 5, x: new Float32Array(3), y: new Uint32Array(1) }))).rejects.toThrow(/3 inputs per sample, but the model takes 2/);
    fast.dispose();
    await expect(fast.train(1)).rejects.toThrow(/used after dispose/);
  });
});

describe('the CPU backend choices', () => {
  const rings = makeSyntheticSplit('rings5', { seed: 1 });
  const o = options({ layers: [2, 12, 5], activation: 'softplus' }, rings.train, undefined, { kind: 'gd' }, 0);
  const noGpu = async () => {
    throw new NoGpuError('no adapter in this test');
  };

  it.each([
    ['cpu', FastCpuTrainer, 'CPU (fast float32)', 'backend cpu: CPU (fast float32)'],
    ['cpu-reference', CpuTrainer, 'CPU reference (float32)', 'backend cpu-reference: CPU reference (float32)'],
    ['auto', FastCpuTrainer, 'CPU (fast float32)', 'backend auto chose cpu: no adapter in this test'],
  ] as const)('backend %s starts %o (deviceName "%s") and notes "%s"', async (backend, kind, deviceName, note) => {
    const handle = await createTrainer(o, { backend, acquireGpu: noGpu });
    try {
      expect(handle.trainer).toBeInstanceOf(kind);
      if (kind === CpuTrainer) expect(handle.trainer).not.toBeInstanceOf(FastCpuTrainer);
      expect(handle.trainer.deviceName).toBe(deviceName);
      expect(handle.note).toBe(note);
    } finally {
      handle.release();
    }
  });
});
