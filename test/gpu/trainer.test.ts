// GpuTrainer against CpuTrainer (the specification) and the float64 oracle, on each software adapter that
// starts here and on both paths (fused: one dispatch for many epochs; general: a few dispatches a step):
// the assignment's full run, gradients, mini-batches with every optimizer, bitwise repeatability,
// inference, buffer leaks, and device loss; then every fused kernel version, the path choice, and data
// split across bindings (general path).
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
import { GpuContext, GpuDeviceLostError } from '../../src/gpu/device.ts';
import { GpuTrainer } from '../../src/gpu/gpuTrainer.ts';
import { FUSED_VARIANT_NAMES, FUSED_WORKGROUP_LANES, subgroupLanes, type FusedVariantName } from '../../src/gpu/kernels.ts';
import { acquireNodeGpu } from '../../src/gpu/nodeGpu.ts';
import { gpuWorkgroupLanes, PlanError, type GpuPath, type GpuTrainerSettings } from '../../src/gpu/plan.ts';
import { flattenParams, initParams, toFloat64, zerosLike, type Activation, type MlpParams, type MlpSpec } from '../../src/model/mlp.ts';
import { gatherBatch } from '../../src/cpu/shuffle.ts';
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
      const work = gpu.workDone;
      const cpuHistory = await cpu.train(epochs);
      return { gpu, work, gpuHistory, cpuHistory, gpuParams: await gpu.getParams(), cpuParams: await cpu.getParams() };
    } finally {
      gpu.dispose();
    }
  }

  describe.each(['fused', 'general'] as const)('%s path', (path: GpuPath) => {
    const settings = { path };

    // General path: every kernel profile; the tiled kernels' barriers cost SwiftShader ~100 ms an epoch, so
    // there they run 10 epochs, not 1000. Fused path: the adapter's production version.
    const runs = path === 'fused' ? (['auto'] as const) : (['naive', 'blocked', 'tiled'] as const);
    test.each(runs)("the assignment's run (2-12-5 softplus, full-batch GD lr 0.1, 400 samples, 1000 epochs), %s kernels, matches the CPU", async (kernels) => {
      const epochs = kernels === 'tiled' && adapter === 'swiftshader' ? 10 : 1000;
      const o = options(ASSIGNMENT_SPEC, assignment, { kind: 'gd', lr: 0.1 }, 0);
      expect(o.train.size).toBe(400);
      const { gpu, work, gpuHistory, cpuHistory, gpuParams, cpuParams } = await trainBoth(o, epochs, { ...settings, kernels: kernels === 'auto' ? 'auto' : kernels });
      expect(gpu.path).toBe(path);
      expect(gpu.deviceName).toContain(`${path} path`);
      if (path === 'general') expect(gpu.deviceName).toContain(`${kernels} kernels`);
      // The fused path: all 1000 epochs in as few dispatches as its loop budget allows, one submission.
      if (path === 'fused') expect(work.submissions).toBe(1);
      expect(work.dispatches).toBe(Math.round(gpu.dispatchesPerEpoch * epochs));
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
      const gpu = await GpuTrainer.create(ctx, o, { ...settings, readbackEvery: 3 });
      try {
        expect(gpu.path).toBe(path);
        const gpuHistory = [...(await gpu.train(4)), ...(await gpu.train(1)), ...(await gpu.train(5))];
        const cpuHistory = await cpu.train(10);
        expectSameHistory(gpuHistory, cpuHistory, 1e-5);
        expectSameParams(await gpu.getParams(), await cpu.getParams(), 1e-4);
      } finally {
        gpu.dispose();
      }
    });

    test("a continued run (startEpoch 7) resumes epoch numbering, shuffling and Adam's step count like the CPU", async () => {
      const o = { ...options(ASSIGNMENT_SPEC, assignment, { kind: 'adam', lr: 0.01 }, 64), startEpoch: 7 };
      const { gpu, gpuHistory, cpuHistory, gpuParams, cpuParams } = await trainBoth(o, 5, settings);
      expect(gpu.epochsDone).toBe(12);
      expect(gpuHistory[0].epoch).toBe(8);
      expectSameHistory(gpuHistory, cpuHistory, 1e-5);
      expectSameParams(gpuParams, cpuParams, 1e-4);
    });

    const gradientCases = [
      [[2, 12, 5], 'softplus', 0, 'naive'],
      [[3, 9, 7, 4], 'tanh', 0, 'naive'],
      [[3, 9, 7, 4], 'relu', 37, 'naive'],
      [[5, 17, 3], 'sigmoid', 0, 'naive'],
      [[3, 9, 7, 4], 'tanh', 0, 'blocked'],
      [[5, 17, 3], 'sigmoid', 37, 'blocked'],
      [[2, 12, 5], 'softplus', 0, 'tiled'],
      [[3, 9, 7, 4], 'relu', 37, 'tiled'],
    ] as const;
    // The fused path has one version of each kernel: the profile does not apply.
    test.each(path === 'fused' ? gradientCases.filter((c) => c[3] === 'naive') : gradientCases)('gradients of %j %s (batch %i, %s kernels) match the float64 oracle', async (layers, activation, batchSize, kernels) => {
      const spec: MlpSpec = { layers, activation: activation as Activation };
      const data = layers[0] === 2 ? assignment : { train: randomDataset('random', 300, layers[0], layers[layers.length - 1], 5) };
      const o = options(spec, data, { kind: 'adam', lr: 0.01 }, batchSize, 11);
      const gpu = await GpuTrainer.create(ctx, o, { ...settings, kernels });
      try {
        expect(gpu.path).toBe(path);
        // Away from the initialisation first, then the gradient of the next batch (the first of epoch 4).
        await gpu.train(3);
        const params = await gpu.getParams();
        const grads = await gpu.batchGradients();
        // batchGradients updates nothing.
        expect(bytesOf(await gpu.getParams())).toEqual(bytesOf(params));
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
        const gpu = await GpuTrainer.create(ctx, o, { ...settings, readbackEvery: 7 });
        try {
          runs.push({ history: await gpu.train(15), params: bytesOf(await gpu.getParams()) });
        } finally {
          gpu.dispose();
        }
      }
      expect(runs[1].history).toEqual(runs[0].history);
      expect(Buffer.from(runs[1].params).equals(Buffer.from(runs[0].params)), 'parameters bitwise equal').toBe(true);
    });

    test('evaluate and predict match the CPU (resident and uploaded data, several chunks)', async () => {
      const o = options(ASSIGNMENT_SPEC, assignment, { kind: 'gd', lr: 0.1 }, 0);
      const cpu = new CpuTrainer(o);
      const gpu = await GpuTrainer.create(ctx, o, { ...settings, evalChunk: 1024 });
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
        const gpu = await GpuTrainer.create(ctx, o, settings);
        held = gpu.bufferCount;
        if (i % 50 === 0) {
          await gpu.train(1);
          await gpu.batchGradients();
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
      const gpu = await GpuTrainer.create(lossCtx, o, { ...settings, readbackEvery: 10 });
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

  /** Whether the fused version runs on this adapter: subgroups where the device has them; not serial on llvmpipe (its loop limit). */
  function runsHere(variant: FusedVariantName): boolean {
    if (variant === 'subgroup') return subgroupLanes(ctx) !== null;
    return !(variant === 'serial' && adapter === 'llvmpipe');
  }

  // Every fused version against the CPU, on the assignment (full batch, 100 epochs, in several dispatches
  // of one submission) and on mini-batches with Adam and momentum.
  describe.each(FUSED_VARIANT_NAMES)('fused %s version', (variant) => {
    test('matches the CPU: full batch in several dispatches, and mini-batches with Adam and momentum', async () => {
      if (!runsHere(variant)) {
        const o = options(ASSIGNMENT_SPEC, assignment, { kind: 'gd', lr: 0.1 }, 0);
        await expect(GpuTrainer.create(ctx, o, { path: 'fused', fusedVariant: variant })).rejects.toThrow(variant === 'serial' ? /loop iterations per invocation/ : /subgroups/);
        return;
      }
      const full = options(ASSIGNMENT_SPEC, assignment, { kind: 'gd', lr: 0.1 }, 0);
      const { gpu, work, gpuHistory, cpuHistory, gpuParams, cpuParams } = await trainBoth(full, 100, { path: 'fused', fusedVariant: variant, fusedEpochsPerDispatch: 30 });
      expect(gpu.deviceName).toContain(`${variant} kernel`);
      expect(gpu.fusedPlan!.epochsPerDispatch).toBeLessThanOrEqual(30);
      expect(work.dispatches).toBeGreaterThanOrEqual(4);
      expect(work.submissions).toBe(1);
      expectSameHistory(gpuHistory, cpuHistory, 1e-5);
      expectSameParams(gpuParams, cpuParams, 1e-4);
      for (const [kind, batchSize] of [['adam', 48], ['momentum', 100]] as const) {
        const o = options(ASSIGNMENT_SPEC, assignment, { kind, lr: kind === 'adam' ? 0.01 : 0.05, weightDecay: 0.001 }, batchSize);
        const mini = await trainBoth(o, 8, { path: 'fused', fusedVariant: variant, readbackEvery: 5 });
        expectSameHistory(mini.gpuHistory, mini.cpuHistory, 1e-5);
        expectSameParams(mini.gpuParams, mini.cpuParams, 1e-4);
      }
    });
  });

  // The lane counts gpuWorkgroupLanes gives a GPU (up to 256): tiles of 4 x lanes samples bigger than a
  // batch, several tiles with a partial last one, and the test set in its own tiles.
  test.each([
    [32, ASSIGNMENT_SPEC, 0],
    [128, { layers: [2, 4, 3], activation: 'tanh' } as MlpSpec, 300],
    [256, { layers: [2, 3], activation: 'relu' } as MlpSpec, 0],
  ])('the workgroup version with %i lanes matches the CPU', async (lanes, spec, batchSize) => {
    const classes = spec.layers[spec.layers.length - 1];
    const data = { train: randomDataset('lanes train', 1100, 2, classes, 51), test: randomDataset('lanes test', 130, 2, classes, 53) };
    const o = options(spec, data, { kind: 'momentum', lr: 0.05 }, batchSize);
    const { gpu, gpuHistory, cpuHistory, gpuParams, cpuParams } = await trainBoth(o, 12, { path: 'fused', fusedVariant: 'workgroup', fusedLanes: lanes, readbackEvery: 6 });
    expect(gpu.deviceName).toContain(`workgroup kernel, ${lanes} invocations`);
    expectSameHistory(gpuHistory, cpuHistory, 1e-5);
    expectSameParams(gpuParams, cpuParams, 1e-4);
  });

  test('on a GPU, auto gives the workgroup version as many lanes as gpuWorkgroupLanes allows (this adapter standing in for one)', async () => {
    // The same device, described as a GPU; its name keeps the adapter's, so llvmpipe's loop budget holds.
    const info = { vendor: 'stand-in', architecture: '', device: '', description: 'hardware' } as GPUAdapterInfo;
    const asGpu = new GpuContext(ctx.device, info, `${ctx.adapterName} (as a GPU)`, ctx.featureLevel, null);
    expect(asGpu.isSoftware).toBe(false);
    const o = options(ASSIGNMENT_SPEC, assignment, { kind: 'gd', lr: 0.1 }, 0);
    const lanes = gpuWorkgroupLanes(ASSIGNMENT_SPEC, 'gd', 400, ctx.device.limits);
    expect(lanes).toBeGreaterThan(FUSED_WORKGROUP_LANES);
    const gpu = await GpuTrainer.create(asGpu, o);
    const cpu = new CpuTrainer(o);
    try {
      expect(gpu.path).toBe('fused');
      expect(gpu.deviceName).toContain(`workgroup kernel, ${lanes} invocations`);
      expectSameHistory(await gpu.train(100), await cpu.train(100), 1e-5);
      expectSameParams(await gpu.getParams(), await cpu.getParams(), 1e-4);
    } finally {
      gpu.dispose();
    }
  });

  test("auto takes the fused path for the assignment and for a tiny data set, the general path for big data; a forced fused path that cannot fit says which limit", async () => {
    const small = options(ASSIGNMENT_SPEC, assignment, { kind: 'gd', lr: 0.1 }, 0);
    const auto = await GpuTrainer.create(ctx, small);
    try {
      expect(auto.path).toBe('fused');
    } finally {
      auto.dispose();
    }
    const tiny = options(ASSIGNMENT_SPEC, { train: randomDataset('tiny', 100, 2, 5, 43) }, { kind: 'gd', lr: 0.1 }, 0);
    const tinyAuto = await GpuTrainer.create(ctx, tiny);
    try {
      expect(tinyAuto.path).toBe('fused');
      expect(tinyAuto.dispatchesPerEpoch).toBeLessThan(1);
    } finally {
      tinyAuto.dispose();
    }
    const general = await GpuTrainer.create(ctx, small, { path: 'general' });
    try {
      expect(general.path).toBe('general');
      // 2 layers: forward 2, loss 1, input gradient 1, gradients with updates 2; test: forward 2, loss 1; record 1.
      expect(general.dispatchesPerEpoch).toBe(10);
    } finally {
      general.dispose();
    }
    // Past FUSED_MAX_EPOCH_WORK on the CPU-emulated adapters (and past llvmpipe's loop budget).
    const big = { train: randomDataset('big', 300_000, 2, 5, 41) };
    const bigAuto = await GpuTrainer.create(ctx, options(ASSIGNMENT_SPEC, big, { kind: 'gd', lr: 0.1 }, 0));
    try {
      expect(bigAuto.path).toBe('general');
    } finally {
      bigAuto.dispose();
    }
    // 300 x 300 weights with Adam: far more than a workgroup's memory.
    const wide: MlpSpec = { layers: [2, 300, 300, 5], activation: 'relu' };
    const o = options(wide, assignment, { kind: 'adam', lr: 0.01 }, 0);
    const wideAuto = await GpuTrainer.create(ctx, o);
    try {
      expect(wideAuto.path).toBe('general');
    } finally {
      wideAuto.dispose();
    }
    await expect(GpuTrainer.create(ctx, o, { path: 'fused' })).rejects.toThrow(PlanError);
    await expect(GpuTrainer.create(ctx, o, { path: 'fused' })).rejects.toThrow(/maxComputeWorkgroupStorageSize/);
  });

  test('createRuns: runs side by side evaluate and read back each their own; mixed shapes, kinds, counts and the general path are refused', async () => {
    const o = options(ASSIGNMENT_SPEC, assignment, { kind: 'gd', lr: 0.1 }, 0);
    const run = (seed: number, lr: number) => ({ params: initParams(ASSIGNMENT_SPEC, seed), optimizer: { ...DEFAULT_OPTIMIZER, lr }, shuffleSeed: seed });
    const pair = await GpuTrainer.createRuns(ctx, o, [run(1, 0.1), run(2, 0.3)]);
    try {
      expect(pair.runCount).toBe(2);
      expect(pair.path).toBe('fused');
      const [a, b] = await pair.trainRuns(5);
      expect(a).toHaveLength(5);
      expect(a[4].trainLoss).not.toBe(b[4].trainLoss);
      for (const [i, seed, lr] of [[0, 1, 0.1], [1, 2, 0.3]] as const) {
        const alone = await GpuTrainer.create(ctx, { ...o, ...run(seed, lr) }, { path: 'fused' });
        try {
          expect((await alone.train(5)).map((r) => r.trainLoss)).toEqual([a, b][i].map((r) => r.trainLoss));
          expect(bytesOf(await pair.getParams(i))).toEqual(bytesOf(await alone.getParams()));
          expect(await pair.evaluate(assignment.test, i)).toEqual(await alone.evaluate(assignment.test));
          expect(bytesOf(pair.checkpoint(i).params)).toEqual(bytesOf(await alone.getParams()));
        } finally {
          alone.dispose();
        }
      }
      await expect(pair.getParams(2)).rejects.toThrow(/run 2 does not exist \(runs 0\.\.1\)/);
    } finally {
      pair.dispose();
    }
    const wider = { params: initParams({ layers: [2, 8, 5], activation: 'softplus' }, 1), optimizer: DEFAULT_OPTIMIZER, shuffleSeed: 1 };
    await expect(GpuTrainer.createRuns(ctx, o, [run(1, 0.1), wider])).rejects.toThrow(/run 2 has layers \[2,8,5\] softplus, run 1 \[2,12,5\] softplus/);
    await expect(GpuTrainer.createRuns(ctx, o, [run(1, 0.1), { ...run(2, 0.1), optimizer: { ...DEFAULT_OPTIMIZER, kind: 'adam' } }])).rejects.toThrow(/run 2 uses adam, run 1 gd/);
    await expect(GpuTrainer.createRuns(ctx, o, [run(1, 0.1), run(2, 0.1)], { path: 'general' })).rejects.toThrow(/need the fused path/);
    await expect(GpuTrainer.createRuns(ctx, o, Array.from({ length: 257 }, (_, i) => run(i, 0.1)))).rejects.toThrow(/1 to 256 runs/);
  });

  test.each([0, 2200])('a data set split across bindings (batch %i) gives bitwise the results of one binding (general path)', async (batchSize) => {
    // 16 inputs at 4 bytes, 64 KiB bindings: segments and chunks of 1024 samples; 5000 train samples in 5
    // segments, 3000 test samples in 3 chunks; batches of 2200 in 3 chunks gathered from every segment,
    // and a last batch of 600 with fewer loss statistics entries than the others.
    const spec: MlpSpec = { layers: [16, 12, 5], activation: 'tanh' };
    const data = { train: randomDataset('train', 5000, 16, 5, 21), test: randomDataset('test', 3000, 16, 5, 22) };
    const o = options(spec, data, { kind: 'momentum', lr: 0.05 }, batchSize);
    const results = [];
    for (const maxBindingBytes of [Infinity, 65536]) {
      const gpu = await GpuTrainer.create(ctx, o, { path: 'general', maxBindingBytes, evalChunk: 4096 });
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
});

/** The first batch of epoch `epoch` as CpuTrainer gathers it: x (n, inputs), y (n). */
function firstBatch(data: Dataset, n: number, seed: number, epoch: number, full: boolean): { x: Float32Array; y: Uint32Array } {
  if (full) return { x: data.x, y: data.y };
  const x = new Float32Array(n * data.inputs);
  const y = new Uint32Array(n);
  gatherBatch(x, y, data.x, data.y, 0, n, data.inputs, data.size, seed, epoch);
  return { x, y };
}
