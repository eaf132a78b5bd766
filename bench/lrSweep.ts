// The lr-sweep suite (issue 7): a 4-learning-rate x 5-seed sweep of the assignment (2-12-5 softplus, rings5
// 400 train / 100 test, full-batch GD, 1000 epochs; lrs 0.01, 0.1, 0.15, 0.25; seeds 1-5) trained by
// runSweep, the 20 runs side by side in the same fused dispatches, against the same 20 configurations
// trained one after another by runTraining on the same adapter (fused path, and the general path), one run
// alone, and the CPU reference's 20 runs. The point: the sweep should cost about one run.
//
// Correctness first: every sweep run's final test loss equals its sequential run's exactly (same adapter,
// same path: test/train/sweep.test.ts proves the runs identical), and every GPU run's is within the GPU's
// tolerance (1e-4 relative, bench/agreement.ts) of the CPU reference's run of the same configuration.
//
// Timing: wall seconds of whole calls (trainer creation, training with its per-epoch test evaluation,
// final evaluations), after untimed warm-ups on the adapter (a single run, a one-epoch sweep and a general
// path epoch: shader compilation, JIT). All runs on an adapter share one device, created before any timing
// (as one program doing many runs would).

import type { DataSplit } from '../src/data/dataset.ts';
import { makeSyntheticSplit } from '../src/data/synthetic.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { acquireNodeGpu } from '../src/gpu/nodeGpu.ts';
import { DEFAULT_TRAIN_CONFIG, runTraining, type TrainConfig } from '../src/train/runTraining.ts';
import { expandSweep, runSweep, type SweepGrid } from '../src/train/sweep.ts';
import { lossTolerance, relativeDifference } from './agreement.ts';
import { errorLine } from './errors.ts';
import type { DeviceKey } from './systems/system.ts';
import { cpuName } from './systems/wgtrainCpu.ts';
import { stats } from './timing.ts';
import { DATA_SEED } from './workloads.ts';

/** What the suite trains, and how often it repeats the short measurements. */
export interface LrSweepConfig {
  lrs: number[];
  seeds: number[];
  epochs: number;
  trainSize: number;
  testSize: number;
  /** Repeats of the sweep and of the single run (median reported); the sequential runs run once. */
  repeats: number;
  /** Also the 20 sequential runs on the general path. */
  general: boolean;
}

/** The issue's sweep, or a CI-sized one (2 lrs x 2 seeds x 100 epochs, no general path). */
export function lrSweepConfig(quick: boolean): LrSweepConfig {
  const common = { trainSize: 400, testSize: 100 };
  return quick
    ? { ...common, lrs: [0.01, 0.1], seeds: [1, 2], epochs: 100, repeats: 1, general: false }
    : { ...common, lrs: [0.01, 0.1, 0.15, 0.25], seeds: [1, 2, 3, 4, 5], epochs: 1000, repeats: 3, general: true };
}

/** 'sweep': runSweep; 'sequential': runTraining of every configuration, one after another; 'single': one run alone. */
export type LrSweepKind = 'sweep' | 'sequential' | 'single';

export interface LrSweepRow {
  device: DeviceKey;
  adapter: string;
  software: boolean;
  kind: LrSweepKind;
  /** 'fused' or 'general' on an adapter, 'cpu' for the CPU reference. */
  path: string;
  /** Runs trained (the grid's, or 1). */
  runs: number;
  epochs: number;
  /** Wall seconds: median over the repeats (sweep, single) or the one pass (sequential). */
  wallSeconds: number | null;
  repeats: number;
  /** Runs the sweep trained side by side in shared dispatches. */
  sideBySide: number | null;
  /** Final test loss of each run, in the grid's order. */
  testLosses: number[];
  /** Sweep rows: largest relative difference from the same adapter's sequential fused runs (must be 0). */
  diffVsSequential: number | null;
  /** Largest relative difference from the CPU reference's runs of the same configurations. */
  diffVsCpu: number | null;
  tolerance: number;
  agrees: boolean | null;
  status: 'ok' | 'mismatch' | 'failed';
  reason: string | null;
}

export interface LrSweepResult {
  config: LrSweepConfig;
  rows: LrSweepRow[];
}

function maxDifference(values: readonly number[], references: readonly number[]): number {
  return Math.max(...values.map((v, i) => relativeDifference(v, references[i])));
}

/** Runs the suite on the CPU reference and on each adapter in `adapters` (those not found get a failed row). */
export async function runLrSweepSuite(config: LrSweepConfig, adapters: readonly { device: Exclude<DeviceKey, 'cpu'>; found: boolean }[], log: (line: string) => void): Promise<LrSweepResult> {
  const split = makeSyntheticSplit('rings5', { trainSize: config.trainSize, testSize: config.testSize, seed: DATA_SEED });
  const grid: SweepGrid = { lrs: config.lrs, seeds: config.seeds, hidden: [[12]], activations: ['softplus'], optimizers: ['gd'], batchSizes: [0], epochs: [config.epochs] };
  const runs = config.lrs.length * config.seeds.length;
  log(`lr-sweep: ${config.lrs.length} learning rates (${config.lrs.join(', ')}) x ${config.seeds.length} seeds x ${config.epochs} epochs, 2-12-5 softplus, rings5 ${config.trainSize}/${config.testSize}, full-batch GD`);
  const rows: LrSweepRow[] = [];
  const row = (device: DeviceKey, adapter: string, software: boolean, kind: LrSweepKind, path: string): LrSweepRow => ({
    device, adapter, software, kind, path, runs: kind === 'single' ? 1 : runs, epochs: config.epochs, wallSeconds: null, repeats: 0, sideBySide: null, testLosses: [],
    diffVsSequential: null, diffVsCpu: null, tolerance: lossTolerance(device === 'cpu' ? 'wgtrain-cpu' : 'wgtrain-gpu'), agrees: null, status: 'failed', reason: null,
  });

  const cpu = { adapter: cpuName(), software: false };
  const cpuRows = await measureDevice(split, grid, config, (kind, path) => row('cpu', cpu.adapter, cpu.software, kind, path), null, log);
  rows.push(...cpuRows);
  const reference = cpuRows.find((r) => r.kind === 'sequential' && r.status !== 'failed')?.testLosses ?? null;

  for (const { device, found } of adapters) {
    if (!found) {
      rows.push({ ...row(device, '', false, 'sweep', 'fused'), reason: `no ${device} adapter on this machine` });
      continue;
    }
    let ctx: GpuContext;
    try {
      ctx = await acquireNodeGpu(device);
    } catch (error) {
      rows.push({ ...row(device, '', false, 'sweep', 'fused'), reason: `${device} did not start: ${errorLine(error)}` });
      continue;
    }
    try {
      rows.push(...(await measureDevice(split, grid, config, (kind, path) => row(device, ctx.adapterName, ctx.isSoftware, kind, path), ctx, log)));
    } finally {
      ctx.destroy();
    }
  }
  for (const r of rows) judge(r, rows, reference, log);
  return { config, rows };
}

/** The rows of one device: its single run, sweep and sequential runs (ctx null: the CPU reference). */
async function measureDevice(
  split: DataSplit,
  grid: SweepGrid,
  config: LrSweepConfig,
  row: (kind: LrSweepKind, path: string) => LrSweepRow,
  ctx: GpuContext | null,
  log: (line: string) => void,
): Promise<LrSweepRow[]> {
  const base: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, backend: ctx ? 'gpu' : 'cpu-reference', gpuPath: 'fused' };
  // runSweep and runTraining destroy the device they are given: each gets a borrow of ctx.
  const acquireGpu = ctx ? () => Promise.resolve(ctx.borrow()) : undefined;
  const configs = expandSweep(base, grid, split.train).map((r) => r.config);
  const rows: LrSweepRow[] = [];
  /** Fills `r` from `measure` (wall seconds of each repeat and the test losses); a throw fails the row. */
  const attempt = async (r: LrSweepRow, repeats: number, measure: () => Promise<{ losses: number[]; sideBySide?: number }>) => {
    rows.push(r);
    try {
      const times: number[] = [];
      for (let i = 0; i < repeats; i++) {
        const started = performance.now();
        const { losses, sideBySide } = await measure();
        times.push((performance.now() - started) / 1000);
        r.testLosses = losses;
        r.sideBySide = sideBySide ?? null;
      }
      r.wallSeconds = stats(times).median;
      r.repeats = repeats;
      r.status = 'ok';
    } catch (error) {
      r.reason = errorLine(error);
    }
  };
  const one = async (c: TrainConfig) => (await runTraining(split, c, { acquireGpu })).test.loss;

  // Warm-up (untimed): the single run's pipelines and the sweep's, compiled once per device.
  if (ctx) {
    await one(configs[0]);
    await runSweep(split, base, { ...grid, epochs: [1] }, { acquireGpu });
    if (config.general) await one({ ...configs[0], epochs: 1, gpuPath: 'general' });
  }
  await attempt(row('single', ctx ? 'fused' : 'cpu'), config.repeats, async () => ({ losses: [await one(configs[0])] }));
  if (ctx) {
    await attempt(row('sweep', 'fused'), config.repeats, async () => {
      const sweep = await runSweep(split, base, grid, { acquireGpu });
      return { losses: sweep.runs.map((r) => r.test.loss), sideBySide: sweep.sideBySide };
    });
  }
  const paths = ctx ? (config.general ? ['fused', 'general'] as const : ['fused'] as const) : ['fused'] as const;
  for (const path of paths) {
    await attempt(row('sequential', ctx ? path : 'cpu'), 1, async () => {
      const losses: number[] = [];
      for (const c of configs) losses.push(await one({ ...c, gpuPath: path }));
      return { losses };
    });
  }
  for (const r of rows) log(`  lr-sweep ${r.device} ${r.kind} (${r.path}, ${r.runs} runs): ${r.status === 'ok' ? `${r.wallSeconds!.toFixed(2)} s` : `FAILED ${r.reason}`}`);
  return rows;
}

/** Agreement: sweep runs exactly equal to the same adapter's sequential fused runs; every run within tolerance of the CPU's. */
function judge(r: LrSweepRow, rows: readonly LrSweepRow[], reference: number[] | null, log: (line: string) => void): void {
  if (r.status === 'failed') return;
  const problems: string[] = [];
  if (reference) {
    r.diffVsCpu = maxDifference(r.testLosses, r.kind === 'single' ? reference.slice(0, 1) : reference);
    if (!(r.diffVsCpu <= r.tolerance)) problems.push(`test loss ${r.diffVsCpu.toExponential(2)} relative from the CPU reference's (tolerance ${r.tolerance})`);
  } else problems.push('no CPU reference to compare with');
  if (r.kind === 'sweep') {
    const sequential = rows.find((x) => x.device === r.device && x.kind === 'sequential' && x.path === 'fused' && x.status !== 'failed');
    if (sequential) {
      r.diffVsSequential = maxDifference(r.testLosses, sequential.testLosses);
      if (r.diffVsSequential !== 0) problems.push(`test loss ${r.diffVsSequential.toExponential(2)} relative from the sequential fused runs' (must be equal)`);
    } else problems.push('no sequential fused runs to compare with');
  }
  r.agrees = problems.length === 0;
  r.status = r.agrees ? 'ok' : 'mismatch';
  r.reason = r.agrees ? null : problems.join('; ');
  if (!r.agrees) log(`  lr-sweep ${r.device} ${r.kind} (${r.path}): MISMATCH ${r.reason}`);
}
