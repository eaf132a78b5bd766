// The GPU layout arithmetic (src/gpu/plan.ts), without a GPU: parameter packing, chunks that never cross
// a segment, how a small binding limit splits data, batches and the gradient reduction, and when and how
// the fused path runs (workgroup memory, loop budget, epochs per dispatch).

import { describe, expect, it } from 'vitest';
import { FUSED_WORKGROUP_LANES, KERNEL_PROFILES, STATS_BLOCK } from '../../src/gpu/kernels.ts';
import {
  autoProfile,
  BLOCKED_MIN_EPOCH_WORK,
  chunks,
  DEFAULT_GPU_TRAINER_SETTINGS,
  FUSED_DISPATCH_WORK,
  FUSED_MAX_TABLE_STEPS,
  fusedDataLayout,
  fusedEpochWork,
  fusedIneligibility,
  fusedLayers,
  fusedLoopIterations,
  fusedWorkgroupBytes,
  generalEpochWork,
  gpuWorkgroupLanes,
  paramLayout,
  PlanError,
  planFused,
  planTraining,
  segmentSize,
} from '../../src/gpu/plan.ts';
import { parameterCount, type MlpSpec } from '../../src/model/mlp.ts';

const spec: MlpSpec = { layers: [2, 12, 5], activation: 'softplus' };
const huge = { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 };

describe('KERNEL_PROFILES', () => {
  it.each(Object.values(KERNEL_PROFILES))('$name: a statistics block is one workgroup of accumulateLossStats', (profile) => {
    expect(profile.constants.STATS_WORKGROUP * profile.constants.STATS_PER_INVOCATION).toBe(STATS_BLOCK);
    expect(Math.log2(profile.constants.STATS_WORKGROUP) % 1).toBe(0);
    expect(profile.constants.TILE % 4).toBe(0);
  });
});

describe('autoProfile (the general path\'s kernels)', () => {
  const name = (kind: 'gpu' | 'llvmpipe' | 'swiftshader', layers: number[], n: number) => autoProfile(kind, { layers, activation: 'softplus' }, n).name;

  it('tiled on GPUs; naive on CPU-emulated adapters below BLOCKED_MIN_EPOCH_WORK, where the blocked kernels\' compile would not pay back', () => {
    expect(generalEpochWork(spec, 400)).toBe(400 * (2 * 12 * 2 + 12 * 5 * 3));
    expect(name('gpu', [2, 12, 5], 400)).toBe('tiled');
    expect(name('gpu', [784, 128, 10], 8000)).toBe('tiled');
    for (const kind of ['llvmpipe', 'swiftshader'] as const) expect(name(kind, [2, 12, 5], 400)).toBe('naive'); // W1
    // Just below and at the threshold: 2-12-5 does 228 multiply-adds a sample.
    expect(generalEpochWork(spec, Math.floor(BLOCKED_MIN_EPOCH_WORK / 228))).toBeLessThan(BLOCKED_MIN_EPOCH_WORK);
    expect(name('llvmpipe', [2, 12, 5], Math.floor(BLOCKED_MIN_EPOCH_WORK / 228))).toBe('naive');
    expect(name('llvmpipe', [2, 12, 5], Math.ceil(BLOCKED_MIN_EPOCH_WORK / 228))).toBe('blocked');
  });

  it('above it: blocked on llvmpipe; on SwiftShader only for wide layers (narrow ones measured faster naive there)', () => {
    expect(name('llvmpipe', [2, 12, 5], 100_000)).toBe('blocked'); // W2
    expect(name('swiftshader', [2, 12, 5], 100_000)).toBe('naive');
    expect(name('swiftshader', [2, 32, 5], 30_000)).toBe('naive');
    expect(name('swiftshader', [2, 64, 64, 5], 16_384)).toBe('blocked');
    expect(name('swiftshader', [2, 256, 256, 5], 16_384)).toBe('blocked'); // W3
    expect(name('swiftshader', [784, 128, 10], 8000)).toBe('blocked'); // W4
  });
});

describe('paramLayout', () => {
  it('packs every weight first, then every bias', () => {
    const layout = paramLayout({ layers: [3, 9, 7, 4], activation: 'tanh' });
    expect(layout.weightOffsets).toEqual([0, 27, 90]);
    expect(layout.weightCount).toBe(27 + 63 + 28);
    expect(layout.biasOffsets).toEqual([118, 127, 134]);
    expect(layout.count).toBe(parameterCount({ layers: [3, 9, 7, 4], activation: 'tanh' }));
  });
});

describe('chunks', () => {
  it('cuts each segment into chunks that never cross it', () => {
    expect(chunks(10, 4, 3)).toEqual([
      { start: 0, count: 3, segment: 0, segmentStart: 0 },
      { start: 3, count: 1, segment: 0, segmentStart: 3 },
      { start: 4, count: 3, segment: 1, segmentStart: 0 },
      { start: 7, count: 1, segment: 1, segmentStart: 3 },
      { start: 8, count: 2, segment: 2, segmentStart: 0 },
    ]);
    expect(chunks(1, 1, 1)).toEqual([{ start: 0, count: 1, segment: 0, segmentStart: 0 }]);
  });

  it('keeps whole data sets that fit one binding in one segment', () => {
    expect(segmentSize(1000, 2, 8000, 64)).toBe(1000);
    expect(segmentSize(1001, 2, 8000, 64)).toBe(960);
  });
});

describe('planTraining', () => {
  it('keeps the assignment in one chunk, one segment, one row of partial sums', () => {
    const plan = planTraining(spec, 400, 100, 400, huge, DEFAULT_GPU_TRAINER_SETTINGS, 16);
    expect(plan).toMatchObject({ steps: 1, lastBatchSize: 400, trainChunk: 400, testChunk: 100, gradRows: 1, statsPerBatch: 1, testBlocks: 1, trainSegment: 400, testSegment: 100 });
  });

  it('gives mini-batches a smaller last batch', () => {
    const plan = planTraining(spec, 400, 0, 32, huge, DEFAULT_GPU_TRAINER_SETTINGS, 16);
    expect(plan).toMatchObject({ steps: 13, lastBatchSize: 16, trainChunk: 32, testBlocks: 0 });
  });

  it('splits data, batches and evaluation to fit a small binding, on statistics blocks', () => {
    const small = { ...DEFAULT_GPU_TRAINER_SETTINGS, maxBindingBytes: 65536, evalChunk: 4096 };
    const plan = planTraining({ layers: [16, 12, 5], activation: 'tanh' }, 5000, 3000, 5000, huge, small, 16);
    expect(plan).toMatchObject({ trainChunk: 1024, testChunk: 1024, inferChunk: 1024, trainSegment: 1024, testSegment: 1024, gradRows: 5 });
    expect(plan.trainChunk % STATS_BLOCK).toBe(0);
  });

  it('widens the gradient chunks when the rows of partial sums would not fit one binding', () => {
    const wide: MlpSpec = { layers: [784, 128, 10], activation: 'relu' };
    const plan = planTraining(wide, 1_000_000, 0, 1_000_000, { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 31 }, DEFAULT_GPU_TRAINER_SETTINGS, 16);
    expect(plan.gradRows * plan.params.count * 4).toBeLessThanOrEqual(2 ** 27);
    expect(plan.gradChunk % 1024).toBe(0);
    expect(plan.trainChunk % plan.gradChunk).toBe(0);
  });

  it('refuses what cannot fit, saying why', () => {
    expect(() => planTraining(spec, 400, 0, 400, huge, { ...DEFAULT_GPU_TRAINER_SETTINGS, gradChunk: 1000 }, 16)).toThrow(PlanError);
    expect(() => planTraining({ layers: [100_000, 2], activation: 'relu' }, 5000, 0, 5000, { maxStorageBufferBindingSize: 2 ** 20, maxBufferSize: 2 ** 20 }, DEFAULT_GPU_TRAINER_SETTINGS, 16)).toThrow(/do not fit|more than one storage binding/);
  });
});

describe('the fused path (planFused)', () => {
  const limits = { maxComputeWorkgroupStorageSize: 32768, maxComputeInvocationsPerWorkgroup: 256, maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 28, maxLoopIterations: Infinity };
  const settings = DEFAULT_GPU_TRAINER_SETTINGS;
  const serial = { name: 'serial', lanes: 1 } as const;
  const workgroup = { name: 'workgroup', lanes: 16 } as const;
  const subgroup = { name: 'subgroup', lanes: 4 } as const;

  it('lays out each sample as x, then per layer z and (below the last) a', () => {
    const { layers, slotWords } = fusedLayers({ layers: [3, 9, 7, 4], activation: 'tanh' });
    expect(layers.map((l) => [l.inSlot, l.zSlot, l.aSlot])).toEqual([
      [0, 3, 12],
      [12, 21, 28],
      [28, 35, 0],
    ]);
    expect(slotWords).toBe(3 + 9 + 9 + 7 + 7 + 4);
    expect(layers.map((l) => [l.wOffset, l.bOffset])).toEqual([
      [0, 118],
      [27, 127],
      [90, 134],
    ]);
  });

  it('counts the workgroup memory of each version: the model (per lane for subgroup), the scratch per lane (four samples a lane but for serial)', () => {
    // 2-12-5: P = 101, 31 slots a sample.
    expect(fusedWorkgroupBytes(spec, 'gd', serial)).toBe(4 * (2 * 101 + 1 + 31 + 2));
    expect(fusedWorkgroupBytes(spec, 'adam', workgroup)).toBe(4 * (2 * 101 + 2 * 101 + 31 * 16 * 4 + 2 * 16));
    expect(fusedWorkgroupBytes(spec, 'momentum', subgroup)).toBe(4 * (4 * (2 * 101) + 4 * 101 + 31 * 4 * 4 + 2 * 4));
  });

  it('fits the assignment in one dispatch of 1000 epochs and one submission', () => {
    const plan = planFused(spec, 400, 100, 400, 'gd', workgroup, limits, settings);
    expect(plan.epochsPerDispatch).toBeGreaterThanOrEqual(1000);
    expect(plan.chunkEpochs).toBe(settings.readbackEvery);
    expect(plan.stateWords).toBe(0);
    expect(planFused(spec, 400, 100, 32, 'adam', workgroup, limits, settings).stateWords).toBe(202);
  });

  it('caps the epochs per dispatch by the work estimate, or by the setting', () => {
    // 20,000 samples of 2-12-5: (3 x 20000 + 0) x 101 multiply-adds an epoch.
    const plan = planFused(spec, 20_000, 0, 20_000, 'gd', workgroup, limits, settings);
    expect(plan.epochsPerDispatch).toBe(Math.floor(FUSED_DISPATCH_WORK / fusedEpochWork(spec, 20_000, 0)));
    expect(planFused(spec, 400, 0, 400, 'gd', workgroup, limits, { ...settings, fusedEpochsPerDispatch: 7 }).epochsPerDispatch).toBe(7);
    expect(() => planFused(spec, 400, 0, 400, 'gd', workgroup, limits, { ...settings, fusedEpochsPerDispatch: -1 })).toThrow(PlanError);
  });

  it("keeps every dispatch inside llvmpipe's loop budget, and refuses a version whose one epoch does not fit", () => {
    const llvmpipe = { ...limits, maxLoopIterations: 65535 };
    const plan = planFused(spec, 400, 100, 400, 'gd', workgroup, llvmpipe, settings);
    const loops = fusedLoopIterations(spec, 400, 100, 400, 0, 'workgroup', 16);
    expect(plan.epochsPerDispatch).toBeGreaterThan(1);
    expect(loops.perDispatch + plan.epochsPerDispatch * loops.perEpoch).toBeLessThanOrEqual(65535);
    // One invocation doing all 500 samples of an epoch: some 150,000 iterations.
    expect(fusedIneligibility(spec, 400, 100, 400, 'gd', serial, llvmpipe, settings)).toMatch(/loop iterations per invocation/);
    expect(() => planFused(spec, 400, 100, 400, 'gd', serial, llvmpipe, settings)).toThrow(/GALLIVM_LOOP_LIMIT/);
    // Shuffled mini-batches count the cycle walks of the shuffle too.
    expect(fusedLoopIterations(spec, 400, 0, 32, 0, 'workgroup', 16).perEpoch).toBeGreaterThan(fusedLoopIterations(spec, 400, 0, 400, 0, 'workgroup', 16).perEpoch);
  });

  it('says which limit a model exceeds', () => {
    const wide: MlpSpec = { layers: [2, 300, 300, 5], activation: 'relu' };
    expect(fusedIneligibility(wide, 400, 0, 400, 'adam', workgroup, limits, settings)).toMatch(/maxComputeWorkgroupStorageSize \(32768\)/);
    expect(fusedIneligibility({ layers: [2, 3, 3, 3, 3, 3, 3, 3, 3, 5], activation: 'relu' }, 400, 0, 400, 'gd', serial, limits, settings)).toMatch(/9 layers/);
    expect(fusedIneligibility(spec, 400, 0, 400, 'gd', { name: 'workgroup', lanes: 512 }, limits, settings)).toMatch(/maxComputeInvocationsPerWorkgroup/);
    expect(fusedIneligibility(spec, 400, 0, 400, 'gd', workgroup, limits, { maxBindingBytes: 1024 })).toMatch(/storage binding/);
    expect(fusedIneligibility(spec, 400, 100, 400, 'adam', workgroup, limits, settings)).toBeNull();
  });

  it('packs the data sets on 256-byte boundaries', () => {
    expect(fusedDataLayout(2, 400, 100)).toEqual({ trainX: 0, trainY: 832, testX: 1280, testY: 1536, words: 1636 });
    expect(fusedDataLayout(2, 1, 0).words).toBe(128);
  });

  it("limits Adam's chunk to the table of bias corrections", () => {
    expect(planFused(spec, 400, 0, 1, 'adam', workgroup, limits, settings).chunkEpochs).toBe(Math.min(settings.readbackEvery, Math.floor(FUSED_MAX_TABLE_STEPS / 400)));
  });
});

describe('gpuWorkgroupLanes (the fused workgroup version on a GPU)', () => {
  const limits = (storage: number, invocations = 256) => ({ maxComputeWorkgroupStorageSize: storage, maxComputeInvocationsPerWorkgroup: invocations });

  it('doubles the lanes while a tile is smaller than the largest pass and the workgroup still fits', () => {
    // The assignment (P 101, 31 scratch slots): 16 lanes 8,876 bytes, 32 lanes 16,940, 64 lanes 33,068,
    // 128 lanes 65,324.
    expect(fusedWorkgroupBytes(spec, 'gd', { name: 'workgroup', lanes: 64 })).toBe(33_068);
    expect(gpuWorkgroupLanes(spec, 'gd', 400, limits(16_384))).toBe(FUSED_WORKGROUP_LANES);
    expect(gpuWorkgroupLanes(spec, 'gd', 400, limits(32_768))).toBe(32);
    expect(gpuWorkgroupLanes(spec, 'gd', 400, limits(49_152))).toBe(64);
    // 128 lanes x 4 samples cover 400 in one tile: no further.
    expect(gpuWorkgroupLanes(spec, 'gd', 400, limits(1 << 20))).toBe(128);
    expect(gpuWorkgroupLanes(spec, 'gd', 1_000_000, limits(1 << 20))).toBe(256);
    expect(gpuWorkgroupLanes(spec, 'gd', 1_000_000, limits(1 << 20, 64))).toBe(64);
  });

  it('keeps FUSED_WORKGROUP_LANES for small passes and for models that only just fit', () => {
    expect(gpuWorkgroupLanes(spec, 'gd', 48, limits(1 << 20))).toBe(FUSED_WORKGROUP_LANES);
    expect(gpuWorkgroupLanes(spec, 'gd', 65, limits(1 << 20))).toBe(2 * FUSED_WORKGROUP_LANES);
    const wide: MlpSpec = { layers: [2, 40, 5], activation: 'relu' };
    const at16 = fusedWorkgroupBytes(wide, 'adam', { name: 'workgroup', lanes: FUSED_WORKGROUP_LANES });
    expect(gpuWorkgroupLanes(wide, 'adam', 10_000, limits(at16))).toBe(FUSED_WORKGROUP_LANES);
    // Adam's two state arrays take the room of more lanes.
    expect(gpuWorkgroupLanes(spec, 'adam', 400, limits(32_768))).toBeLessThanOrEqual(gpuWorkgroupLanes(spec, 'gd', 400, limits(32_768)));
  });
});
