// GpuTrainer against CpuTrainer (the specification) and the float64 oracle, on each software adapter that
// starts here: the assignment's full run, gradients, mini-batches with every optimizer, bitwise
// repeatability, data split across bindings, inference, buffer leaks, and device loss.
//
// Tolerances. The two backends run the same float32 computation except that the CPU twins sum in float64
// and round once, and the GPU's exp and log are allowed a few ulp more: every value differs by a few ulp
// per step. Over the 1000 full-batch steps of the assignment those differences stay below 1e-6 relative
// in the losses and 1e-4 relative in the parameters (gradient descent at lr 0.1 contracts them rather
// than amplifying them); no sample sits within that distance of a decision boundary, so the accuracies
// agree exactly.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuTrainer } from '../../src/cpu/cpuTrainer.ts';
import { forwardBackward, makeWorkspace } from '../../src/cpu/network.ts';
import { DEFAULT_OPTIMIZER, type OptimizerConfig } from '../../src/cpu/optimizer.ts';
import { makeDataset, type Dataset } from '../../src/data/dataset.ts';
import { makeSyntheticSplit } from '../../src/data/synthetic.ts';
import { liveBufferCount } from '../../src/gpu/buffers.ts';
import { GpuDeviceLostError, type GpuContext } from '../../src/gpu/device.ts';
import { GpuTrainer } from '../../src/gpu/gpuTrainer.ts';
import { acquireNodeGpu } from '../../src/gpu/nodeGpu.ts';
import type { GpuTrainerSettings } from '../../src/gpu/plan.ts';
import { flattenParams, initParams, toFloat64, zerosLike, type Activation, type MlpParams, type MlpSpec } from '../../src/model/mlp.ts';
import { shuffledIndex } from '../../src/shuffle.ts';
import type { EpochRecord } from '../../src/train/metrics.ts';
import type { TrainerOptions } from '../../src/train/trainer.ts';
import { availableAdapters, expectClose, randomArray, randomLabels, SOFTWARE_ADAPTERS } from './harness.ts';

const available = await availableAdapters();
const assignment = makeSyntheticSplit('rings5', { seed: 1 });
const ASSIGNMENT_SPEC: MlpSpec = { layers: [2, 12, 5], activation: 'softplus' };

function options(spec: MlpSpec, data: { train: Dataset; test?: Dataset }, optimizer: Partial<OptimizerConfig>, batchSize: number, seed = 7): TrainerOptions {
  return { params: initParams(spec, seed), train: data.train, test: data.test, optimizer: { ...DEFAULT_OPTIMIZER, ...optimizer }, batchSize, shuffleSeed: 3 };
}

/** A seeded random data set: `inputs` features in [-2, 2), `classes` labels. */
function randomDataset(name: string, size: number, inputs: number, classes: number, seed: number): Dataset {
  return makeDataset({ name, inputs, classes, x: randomArray(size * inputs, seed, -2, 2), y: randomLabels(size, classes, seed + 1) });
}

/** Per-epoch records of both backends: losses within rtol, accuracies identical. */
function expectSameHistory(gpu: EpochRecord[], cpu: EpochRecord[], rtol: number): void {
  expect(gpu.map((r) => r.epoch)).toEqual(cpu.map((r) => r.epoch));
  expectClose('train loss per epoch', gpu.map((r) => r.trainLoss), cpu.map((r) => r.trainLoss), 0, rtol);
  expectClose('test loss per epoch', gpu.map((r) => r.testLoss), cpu.map((r) => r.testLoss), 0, rtol);
  expect(gpu.map((r) => r.trainAccuracy), 'train accuracy per epoch').toEqual(cpu.map((r) => r.trainAccuracy));
  expect(gpu.map((r) => r.testAccuracy), 'test accuracy per epoch').toEqual(cpu.map((r) => r.testAccuracy));
}

/** Parameters within rtol of the reference, with an absolute floor of rtol * 1e-2 for those near 0. */
function expectSameParams(gpu: MlpParams, cpu: MlpParams, rtol: number): void {
  expectClose('parameters (W0, b0, W1, b1, ...)', flattenParams(gpu), flattenParams(cpu), rtol * 1e-2, rtol);
}

function bytesOf(p: MlpParams): Uint8Array {
  return new Uint8Array(Float32Array.from(flattenParams(p)).buffer);
}

describe.each(SOFTWARE_ADAPTERS)('GpuTrainer on %s', (adapter) => {
  let ctx: GpuContext;
  beforeAll(async () => {
    if (available[adapter]) ctx = await acquireNodeGpu(adapter);
  });
  afterAll(() => ctx?.destroy());
  const test = it.skipIf(!available[adapter]);

  /** Trains both backends `epochs` epochs; returns their histories and final parameters. */
  async function trainBoth(o: TrainerOptions, epochs: number, settings: Partial<GpuTrainerSettings> = {}) {
    const cpu = new CpuTrainer(o);
    const gpu = await GpuTrainer.create(ctx, o, settings);
    try {
      const gpuHistory = await gpu.train(epochs);
      const cpuHistory = await cpu.train(epochs);
      return { gpu, gpuHistory, cpuHistory, gpuParams: await gpu.getParams(), cpuParams: await cpu.getParams() };
    } finally {
      gpu.dispose();
    }
  }

  // The tiled kernels' barriers cost SwiftShader ~100 ms an epoch: there they run 25 epochs, not 1000.
  test.each(['naive', 'tiled'] as const)("the assignment's run (2-12-5 softplus, full-batch GD lr 0.1, 400 samples) with %s kernels matches the CPU", async (kernels) => {
    const epochs = kernels === 'tiled' && adapter === 'swiftshader' ? 25 : 1000;
    const o = options(ASSIGNMENT_SPEC, assignment, { kind: 'gd', lr: 0.1 }, 0);
    expect(o.train.size).toBe(400);
    const { gpu, gpuHistory, cpuHistory, gpuParams, cpuParams } = await trainBoth(o, epochs, { kernels });
    expect(gpu.deviceName).toContain(`${kernels} kernels`);
    expect(gpu.epochsDone).toBe(epochs);
    expectSameHistory(gpuHistory, cpuHistory, 1e-5);
    expectSameParams(gpuParams, cpuParams, 1e-4);
    expect(gpu.checkpoint().epochsDone).toBe(epochs);
    expectSameParams(gpu.checkpoint().params, cpuParams, 1e-4);
  });

  test.each([
    ['momentum', 32, 0],
    ['adam', 32, 0],
    ['adam', 50, 0.01],
    ['gd', 64, 0.001],
  ] as const)('mini-batches with %s, batch %i, weight decay %f match the CPU (shuffled order, last batch smaller)', async (kind, batchSize, weightDecay) => {
    const o = options(ASSIGNMENT_SPEC, assignment, { kind, lr: kind === 'adam' ? 0.01 : 0.05, weightDecay }, batchSize);
    // Three train() calls of uneven lengths: shuffling and Adam's step count continue across them.
    const cpu = new CpuTrainer(o);
    const gpu = await GpuTrainer.create(ctx, o, { readbackEvery: 3 });
    try {
      const gpuHistory = [...(await gpu.train(4)), ...(await gpu.train(1)), ...(await gpu.train(5))];
      const cpuHistory = await cpu.train(10);
      expectSameHistory(gpuHistory, cpuHistory, 1e-5);
      expectSameParams(await gpu.getParams(), await cpu.getParams(), 1e-4);
    } finally {
      gpu.dispose();
    }
  });

  test.each([
    [[2, 12, 5], 'softplus', 0, 'naive'],
    [[3, 9, 7, 4], 'tanh', 0, 'naive'],
    [[3, 9, 7, 4], 'relu', 37, 'naive'],
    [[5, 17, 3], 'sigmoid', 0, 'naive'],
    [[2, 12, 5], 'softplus', 0, 'tiled'],
    [[3, 9, 7, 4], 'relu', 37, 'tiled'],
  ] as const)('gradients of %j %s (batch %i, %s kernels) match the float64 oracle', async (layers, activation, batchSize, kernels) => {
    const spec: MlpSpec = { layers, activation: activation as Activation };
    const data = layers[0] === 2 ? assignment : { train: randomDataset('random', 300, layers[0], layers[layers.length - 1], 5) };
    const o = options(spec, data, { kind: 'adam', lr: 0.01 }, batchSize, 11);
    const gpu = await GpuTrainer.create(ctx, o, { kernels });
    try {
      // Away from the initialisation first, then the gradient of the next batch (the first of epoch 4).
      await gpu.train(3);
      const params = await gpu.getParams();
      const grads = await gpu.batchGradients();
      // The oracle: network.ts in float64 on the same batch.
      const n = batchSize === 0 ? data.train.size : batchSize;
      const p64 = toFloat64(params);
      const g64 = zerosLike(spec, (k) => new Float64Array(k));
      const { x, y } = firstBatch(data.train, n, o.shuffleSeed, 3, batchSize === 0);
      forwardBackward(p64, g64, makeWorkspace(p64, n, (k) => new Float64Array(k)), Float64Array.from(x), y, n);
      const ref = flattenParams(g64);
      const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      // float32 forward and backward: a few ulp per operation, summed over n samples and the layers'
      // widths (observed: 4e-7 of the largest entry for 2-12-5); bounded relative to the largest gradient
      // entry, since small entries are differences of large terms.
      expectClose('gradient (W0, b0, W1, b1, ...)', flattenParams(grads), ref, 4e-6 * scale, 1e-5);
    } finally {
      gpu.dispose();
    }
  });

  test('two runs on the same adapter are bitwise identical', async () => {
    const o = options(ASSIGNMENT_SPEC, assignment, { kind: 'adam', lr: 0.01 }, 48);
    const runs = [];
    for (let r = 0; r < 2; r++) {
      const gpu = await GpuTrainer.create(ctx, o, { readbackEvery: 7 });
      try {
        runs.push({ history: await gpu.train(15), params: bytesOf(await gpu.getParams()) });
      } finally {
        gpu.dispose();
      }
    }
    expect(runs[1].history).toEqual(runs[0].history);
    expect(Buffer.from(runs[1].params).equals(Buffer.from(runs[0].params)), 'parameters bitwise equal').toBe(true);
  });

  test.each([0, 2200])('a data set split across bindings (batch %i) gives bitwise the results of one binding', async (batchSize) => {
    // 16 inputs at 4 bytes, 64 KiB bindings: segments and chunks of 1024 samples; 5000 train samples in 5
    // segments, 3000 test samples in 3 chunks; batches of 2200 in 3 chunks gathered from every segment,
    // and a last batch of 600 with fewer loss statistics entries than the others.
    const spec: MlpSpec = { layers: [16, 12, 5], activation: 'tanh' };
    const data = { train: randomDataset('train', 5000, 16, 5, 21), test: randomDataset('test', 3000, 16, 5, 22) };
    const o = options(spec, data, { kind: 'momentum', lr: 0.05 }, batchSize);
    const results = [];
    for (const maxBindingBytes of [Infinity, 65536]) {
      const gpu = await GpuTrainer.create(ctx, o, { maxBindingBytes, evalChunk: 4096 });
      try {
        if (maxBindingBytes < Infinity) {
          expect(gpu.plan.trainSegment).toBe(1024);
          expect(gpu.plan.trainChunk).toBe(1024);
          expect(gpu.plan.testChunk).toBe(1024);
        }
        const history = await gpu.train(3);
        const evaluation = await gpu.evaluate(data.train);
        const probs = await gpu.predict(data.test.x, data.test.size);
        results.push({ history, params: bytesOf(await gpu.getParams()), evaluation, probs: new Uint8Array(probs.buffer) });
      } finally {
        gpu.dispose();
      }
    }
    const [one, split] = results;
    const cpu = new CpuTrainer(o);
    expectSameHistory(one.history, await cpu.train(3), 1e-5);
    expect(split.history).toEqual(one.history);
    expect(Buffer.from(split.params).equals(Buffer.from(one.params)), 'parameters bitwise equal').toBe(true);
    expect(split.evaluation).toEqual(one.evaluation);
    expect(Buffer.from(split.probs).equals(Buffer.from(one.probs)), 'probabilities bitwise equal').toBe(true);
  });

  test('evaluate and predict match the CPU (resident and uploaded data, several chunks)', async () => {
    const o = options(ASSIGNMENT_SPEC, assignment, { kind: 'gd', lr: 0.1 }, 0);
    const cpu = new CpuTrainer(o);
    const gpu = await GpuTrainer.create(ctx, o, { evalChunk: 1024 });
    try {
      await gpu.train(30);
      await cpu.train(30);
      // The decision-boundary grid: 70 x 70 points over [-3, 3]^2, in 5 chunks of 1024.
      const side = 70;
      const grid = new Float32Array(side * side * 2);
      for (let i = 0; i < side * side; i++) {
        grid[2 * i] = -3 + (6 * (i % side)) / (side - 1);
        grid[2 * i + 1] = -3 + (6 * Math.floor(i / side)) / (side - 1);
      }
      // softmax of logits within a few ulp of the CPU's (see kernels.test.ts), after 30 matching steps.
      expectClose('grid probabilities', await gpu.predict(grid, side * side), await cpu.predict(grid, side * side), 1e-6, 1e-4);
      const other = randomDataset('other', 1500, 2, 5, 31);
      for (const data of [assignment.train, assignment.test, other]) {
        const [g, c] = [await gpu.evaluate(data), await cpu.evaluate(data)];
        expectClose(`${data.name} loss`, [g.loss], [c.loss], 0, 1e-5);
        expect(g.confusion, `${data.name} confusion matrix`).toEqual(c.confusion);
      }
    } finally {
      gpu.dispose();
    }
  });

  test('creating and disposing a trainer 200 times leaks no GPU buffers', async () => {
    const o = options(ASSIGNMENT_SPEC, assignment, { kind: 'adam', lr: 0.01 }, 32);
    const before = liveBufferCount();
    let held = 0;
    for (let i = 0; i < 200; i++) {
      const gpu = await GpuTrainer.create(ctx, o);
      held = gpu.bufferCount;
      if (i % 50 === 0) {
        await gpu.train(1);
        await gpu.predict(assignment.test.x, 10);
        await gpu.evaluate(randomDataset('other', 10, 2, 5, i));
      }
      gpu.dispose();
      expect(liveBufferCount(), `after dispose #${i}`).toBe(before);
    }
    expect(held).toBeGreaterThan(10);
  });

  test('device loss mid-training throws GpuDeviceLostError, then on every call', async () => {
    const lossCtx = await acquireNodeGpu(adapter);
    const o = options(ASSIGNMENT_SPEC, assignment, { kind: 'gd', lr: 0.1 }, 0);
    const gpu = await GpuTrainer.create(lossCtx, o, { readbackEvery: 10 });
    try {
      await gpu.train(10);
      const training = gpu.train(100_000);
      setTimeout(() => lossCtx.device.destroy(), 50);
      await expect(training).rejects.toThrow(GpuDeviceLostError);
      await expect(training).rejects.toThrow(/GPU device lost on .*destroyed/);
      await expect(gpu.train(1)).rejects.toThrow(GpuDeviceLostError);
      await expect(gpu.getParams()).rejects.toThrow(GpuDeviceLostError);
      await expect(gpu.predict(assignment.test.x, 4)).rejects.toThrow(GpuDeviceLostError);
      // What training can continue from elsewhere: the parameters of the last readback.
      expect(gpu.checkpoint().epochsDone).toBeGreaterThanOrEqual(10);
    } finally {
      gpu.dispose();
      lossCtx.destroy();
    }
  });
});

/** The first batch of epoch `epoch` as CpuTrainer gathers it (src/shuffle.ts order): x (n, inputs), y (n). */
function firstBatch(data: Dataset, n: number, seed: number, epoch: number, full: boolean): { x: Float32Array; y: Uint32Array } {
  if (full) return { x: data.x, y: data.y };
  const x = new Float32Array(n * data.inputs);
  const y = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const i = shuffledIndex(k, data.size, seed, epoch);
    x.set(data.x.subarray(i * data.inputs, (i + 1) * data.inputs), k * data.inputs);
    y[k] = data.y[i];
  }
  return { x, y };
}
