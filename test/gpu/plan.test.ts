// The GPU layout arithmetic (src/gpu/plan.ts), without a GPU: parameter packing, chunks that never cross
// a segment, and how a small binding limit splits data, batches and the gradient reduction.

import { describe, expect, it } from 'vitest';
import { KERNEL_PROFILES, STATS_BLOCK } from '../../src/gpu/kernels.ts';
import { chunks, DEFAULT_GPU_TRAINER_SETTINGS, paramLayout, PlanError, planTraining, segmentSize } from '../../src/gpu/plan.ts';
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
