// Sweeps: the grid, the ranking, and the promise that every run of a sweep is exactly the single run of
// its configuration (on the CPU and on each software GPU adapter, side by side in shared dispatches),
// with diverging runs marked and unable to touch the others.

import { describe, expect, it } from 'vitest';
import { makeSyntheticSplit } from '../../src/data/synthetic.ts';
import { InputError } from '../../src/data/dataset.ts';
import type { GpuContext } from '../../src/gpu/device.ts';
import { acquireNodeGpu } from '../../src/gpu/nodeGpu.ts';
import type { MlpParams } from '../../src/model/mlp.ts';
import type { Evaluation } from '../../src/train/metrics.ts';
import { DEFAULT_TRAIN_CONFIG, runTraining, type TrainConfig } from '../../src/train/runTraining.ts';
import { expandSweep, rankRuns, runSweep, summarize, type SweepGrid, type SweepRunResult } from '../../src/train/sweep.ts';
import { availableAdapters, SOFTWARE_ADAPTERS } from '../gpu/harness.ts';

const split = makeSyntheticSplit('rings5', { seed: 1 });
const found = await availableAdapters();

const GRID: SweepGrid = { lrs: [0.1], seeds: [1], hidden: [[12]], activations: ['softplus'], optimizers: ['gd'], batchSizes: [0], epochs: [100] };

const bits = (p: MlpParams) => [...p.weights, ...p.biases].map((a) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length)));

/** Every run equals runTraining of its configuration: history, parameters (bitwise), evaluations, model.json record. */
async function expectSingleRuns(results: readonly SweepRunResult[], single: (config: TrainConfig) => ReturnType<typeof runTraining>): Promise<void> {
  for (const r of results) {
    const alone = await single(r.run.config);
    const what = `run ${r.run.index} (${r.run.label})`;
    expect(r.history, what).toEqual(alone.history);
    expect(bits(r.model.params), what).toEqual(bits(alone.model.params));
    expect(r.train, what).toEqual(alone.train);
    expect(r.test, what).toEqual(alone.test);
    expect(r.model.training, what).toEqual(alone.model.training);
  }
}

describe('the grid', () => {
  it('expands every combination, seeds innermost, labels naming only what varies', () => {
    const runs = expandSweep(DEFAULT_TRAIN_CONFIG, { ...GRID, lrs: [0.01, 0.1], seeds: [1, 2, 3], hidden: [[8], [4, 4]] }, split.train);
    expect(runs).toHaveLength(12);
    expect(runs.map((r) => r.index)).toEqual([...runs.keys()]);
    expect(runs[0].label).toBe('hidden 8, lr 0.01, seed 1');
    expect(runs[0].group).toBe('hidden 8, lr 0.01');
    expect(runs[11].layers).toEqual([2, 4, 4, 5]);
    expect(runs[11].config).toMatchObject({ layers: [2, 4, 4, 5], seed: 3, optimizer: { kind: 'gd', lr: 0.1 } });
    expect(expandSweep(DEFAULT_TRAIN_CONFIG, GRID, split.train)[0].label).toBe('lr 0.1');
  });

  it('refuses empty lists, repeated values, bad values and oversized grids, naming the option', () => {
    const bad = (grid: Partial<SweepGrid>) => () => expandSweep(DEFAULT_TRAIN_CONFIG, { ...GRID, ...grid }, split.train);
    expect(bad({ lrs: [] })).toThrow(new InputError('--lr: no values given'));
    expect(bad({ lrs: [0.1, 0.1] })).toThrow(new InputError('--lr: 0.1 is listed twice'));
    expect(bad({ lrs: [-1] })).toThrow(/--lr: -1 is not a positive learning rate/);
    expect(bad({ seeds: [1.5] })).toThrow(/--seeds: 1.5 is not a seed/);
    expect(bad({ hidden: [[12], [0]] })).toThrow(/--hidden: 0 is not a list of positive layer sizes/);
    expect(bad({ epochs: [-2] })).toThrow(/--epochs: -2 is not an epoch count/);
    expect(bad({ seeds: Array.from({ length: 5000 }, (_, i) => i) })).toThrow(/5000 runs, more than a sweep takes \(4096\)/);
  });
});

describe('ranking', () => {
  const evaluation = (loss: number, accuracy: number): Evaluation => ({ size: 10, loss, accuracy, confusion: [], precision: [], recall: [] });
  const result = (index: number, group: string, testLoss: number, diverged = false) =>
    ({ run: { index, group }, train: evaluation(testLoss, 0.5), test: evaluation(testLoss, 1 - testLoss / 10), diverged }) as unknown as SweepRunResult;

  it('orders runs by the metric, diverged and NaN runs last; summaries give mean and spread over the finite seeds', () => {
    const results = [result(0, 'a', 0.5), result(1, 'a', 0.3), result(2, 'b', NaN, true), result(3, 'b', 0.1), result(4, 'c', 0.2, true), result(5, 'c', NaN)];
    expect(rankRuns(results, 'test-loss')).toEqual([3, 1, 0, 5, 2, 4]);
    expect(rankRuns(results, 'test-accuracy')).toEqual([3, 1, 0, 5, 2, 4]);
    const summaries = summarize(results, 'test-loss');
    expect(summaries.map((s) => s.group)).toEqual(['b', 'a', 'c']);
    expect(summaries[1].testLoss.mean).toBeCloseTo(0.4, 12);
    expect(summaries[1].testLoss.std).toBeCloseTo(Math.SQRT2 * 0.1, 12);
    expect(summaries[0]).toMatchObject({ runs: [2, 3], diverged: 1, testLoss: { mean: 0.1, std: 0 } });
    expect(summaries[2].diverged).toBe(1);
  });
});

describe('on the CPU', () => {
  it.each(['cpu', 'cpu-reference'] as const)('--backend %s: every run of a 2 lr x 2 seed x 2 epoch-count grid is its single run', async (backend) => {
    const base: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, backend };
    const sweep = await runSweep(split, base, { ...GRID, lrs: [0.05, 0.2], seeds: [1, 2], epochs: [20, 50] });
    expect(sweep.runs).toHaveLength(8);
    expect(sweep.backend).toBe('cpu');
    expect(sweep.sideBySide).toBe(0);
    expect(sweep.device).toMatch(backend === 'cpu' ? /fast/ : /reference/);
    await expectSingleRuns(sweep.runs, (config) => runTraining(split, config));
  });
});

describe.each(SOFTWARE_ADAPTERS)('on the GPU, %s', (adapter) => {
  const acquireGpu = () => acquireNodeGpu(adapter);
  const fused: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, backend: 'gpu', gpuPath: 'fused' };

  it.runIf(found[adapter])('32 runs (2 lr x 2 seeds x gd/adam x full/mini-batch x 2 epoch counts) side by side are each their single fused run', async () => {
    const grid: SweepGrid = { ...GRID, lrs: [0.02, 0.3], seeds: [1, 7], optimizers: ['gd', 'adam'], batchSizes: [0, 64], epochs: [10, 25] };
    const sweep = await runSweep(split, { ...DEFAULT_TRAIN_CONFIG, backend: 'gpu' }, grid, { acquireGpu });
    expect(sweep.runs).toHaveLength(32);
    expect(sweep.backend).toBe('gpu');
    expect(sweep.sideBySide).toBe(32);
    expect(sweep.runs.every((r) => !r.diverged)).toBe(true);
    expect(new Set(sweep.runs.map((r) => r.test.loss)).size).toBeGreaterThan(8);
    await expectSingleRuns(sweep.runs, (config) => runTraining(split, { ...config, gpuPath: 'fused' }, { acquireGpu }));
  });

  it.runIf(found[adapter])('diverging runs are marked, ranked last, and leave their neighbours exactly as alone', async () => {
    const sweep = await runSweep(split, fused, { ...GRID, lrs: [0.1, 1e30], seeds: [1, 2], epochs: [30] }, { acquireGpu });
    const diverged = sweep.runs.filter((r) => r.diverged).map((r) => r.run.index);
    expect(diverged).toEqual([2, 3]);
    for (const i of diverged) expect(sweep.runs[i].divergedAt).toBeGreaterThanOrEqual(1);
    expect(sweep.ranking.slice(2).sort()).toEqual([2, 3]);
    expect(sweep.summaries.map((s) => [s.group, s.diverged])).toEqual([
      ['lr 0.1', 0],
      ['lr 1e+30', 2],
    ]);
    expect(sweep.summaries[1].testLoss.mean).toBeNaN();
    await expectSingleRuns(sweep.runs.slice(0, 2), (config) => runTraining(split, config, { acquireGpu }));
  });

  it.runIf(found[adapter])('a device lost mid-sweep: finished runs keep their GPU results, the rest train again on the CPU, and it says so', async () => {
    let context: GpuContext | null = null;
    const notices: string[] = [];
    const grid: SweepGrid = { ...GRID, lrs: [0.05, 0.2], optimizers: ['gd', 'adam'], epochs: [30] };
    const sweep = await runSweep(split, { ...DEFAULT_TRAIN_CONFIG, backend: 'gpu' }, grid, {
      acquireGpu: async () => (context = await acquireGpu()),
      onNotice: (m) => notices.push(m),
      onProgress: (p) => {
        // The gd runs (0, 1) are done; the adam runs (2, 3) have started: the device goes away.
        if (p.histories[2].length > 0 && !context!.lostError) context!.device.destroy();
      },
    });
    expect(notices.some((m) => /device lost.*; the 2 runs not finished train again from their start on the CPU/i.test(m))).toBe(true);
    expect(sweep.runs.map((r) => String(r.model.training.device))).toEqual([expect.stringMatching(/swiftshader|llvmpipe/i), expect.stringMatching(/swiftshader|llvmpipe/i), 'CPU (fast float32)', 'CPU (fast float32)']);
    expect(sweep.runs.every((r) => r.history.length === 30)).toBe(true);
    await expectSingleRuns(sweep.runs.slice(2), (config) => runTraining(split, { ...config, backend: 'cpu' }));
  });

  it.runIf(found[adapter])('a shape that does not fit a workgroup trains one run after another on the general path, and says so', async () => {
    const notices: string[] = [];
    const grid: SweepGrid = { ...GRID, hidden: [[128]], seeds: [1, 2], epochs: [2] };
    const sweep = await runSweep(split, { ...DEFAULT_TRAIN_CONFIG, backend: 'gpu' }, grid, { acquireGpu, onNotice: (m) => notices.push(m) });
    expect(sweep.sideBySide).toBe(0);
    expect(notices.some((m) => /layers 2-128-5: .*workgroup memory.*; its 2 runs train one after another/.test(m))).toBe(true);
    await expectSingleRuns(sweep.runs, (config) => runTraining(split, config, { acquireGpu }));
  });
});
