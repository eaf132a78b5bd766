// Sweeps: a grid of training configurations (learning rates, seeds, hidden sizes, activations, optimizers,
// batch sizes, epoch counts) trained together and compared. Browser-safe: the CLI (`wgtrain sweep`) and the
// page both call runSweep.
//
// How the grid runs. Runs that differ only in their epoch count are one training run read at several
// epochs (a run of E epochs is the first E epochs of a longer one: same initial parameters, shuffling and
// Adam steps), so they train once: a "lane". On the GPU, lanes of one shape (layers, activation, optimizer
// kind, batch size) train side by side in the same fused dispatches, one workgroup each
// (GpuTrainer.createRuns), sharing the data; shapes that do not fit one workgroup, and `--path general`,
// train one lane after another. On the CPU every lane trains after the other. Each run's history,
// parameters and final evaluations are exactly those of a single `train` of its configuration on the same
// backend and path (test/train/sweep.test.ts). A run whose loss turns NaN or infinite is marked diverged:
// it trains on in its own workgroup without touching the others, and it is ranked last and left out of
// the means.

import type { DataSplit, Dataset } from '../data/dataset.ts';
import { InputError } from '../data/dataset.ts';
import type { OptimizerKind } from '../cpu/optimizer.ts';
import { GpuDeviceLostError, NoGpuError, type GpuContext } from '../gpu/device.ts';
import type { MlpParams } from '../model/mlp.ts';
import type { Model } from '../model/modelFile.ts';
import { cpuHandle } from './backend.ts';
import type { EpochRecord, Evaluation } from './metrics.ts';
import { defaultLayers, modelClassNames, prepareTraining, trainingRecord, type PreparedTraining, type TrainConfig } from './runTraining.ts';
import type { BackendName, Checkpoint, Trainer, TrainerOptions } from './trainer.ts';

/** The values a sweep tries; every combination is one run. */
export interface SweepGrid {
  lrs: number[];
  seeds: number[];
  /** Hidden layer sizes of each architecture, e.g. [[12], [32, 32]]; the data fix the inputs and classes. */
  hidden: number[][];
  activations: TrainConfig['activation'][];
  optimizers: OptimizerKind[];
  /** Samples per update; 0 = full batch. */
  batchSizes: number[];
  epochs: number[];
}

/** Most runs one sweep takes. */
export const MAX_SWEEP_RUNS = 4096;

export const RANK_METRICS = ['test-loss', 'test-accuracy', 'train-loss', 'train-accuracy'] as const;
export type RankMetric = (typeof RANK_METRICS)[number];

/** One configuration of the grid. */
export interface SweepRun {
  /** Position in the grid's expansion order (0-based). */
  index: number;
  /** The single-run configuration this run reproduces. */
  config: TrainConfig;
  layers: number[];
  /** What sets it apart from the other runs, e.g. "lr 0.1, seed 3" (only the dimensions that vary). */
  label: string;
  /** The same without the seed: runs sharing it are repeats over seeds. */
  group: string;
}

export interface SweepRunResult {
  run: SweepRun;
  history: EpochRecord[];
  train: Evaluation;
  test: Evaluation;
  model: Model;
  /** First epoch whose train or test loss is NaN or infinite (null when none was). */
  divergedAt: number | null;
  /** The loss or the final parameters went non-finite. */
  diverged: boolean;
}

/** Mean and sample standard deviation over the runs of one group that did not diverge. */
export interface Spread {
  mean: number;
  std: number;
}

export interface SweepGroupSummary {
  group: string;
  /** Run indices in the group (one per seed). */
  runs: number[];
  diverged: number;
  testLoss: Spread;
  testAccuracy: Spread;
  trainLoss: Spread;
  trainAccuracy: Spread;
}

export interface SweepResult {
  runs: SweepRunResult[];
  /** Run indices, best first by rankBy; diverged runs last. */
  ranking: number[];
  /** Groups (runs that differ only by seed), best mean first; groups with no finite run last. */
  summaries: SweepGroupSummary[];
  rankBy: RankMetric;
  backend: BackendName;
  device: string;
  wallSeconds: number;
  /** Runs trained side by side in the same dispatches (the rest trained one after another). */
  sideBySide: number;
  notes: string[];
  /** The standardization every run used (fitted once on the training set), or null. */
  standardization: PreparedTraining['standardization'];
}

export interface SweepProgress {
  /** Per run, the epochs recorded so far. */
  histories: readonly (readonly EpochRecord[])[];
  epochsDone: number;
  epochsTotal: number;
}

export interface SweepHooks {
  /** How to get a GPU device; without it gpu/auto use the CPU. */
  acquireGpu?: () => Promise<GpuContext>;
  rankBy?: RankMetric;
  /** Called after every chunk of epochs. */
  onProgress?: (progress: SweepProgress) => void;
  onNotice?: (message: string) => void;
  /** What else reproduces the data, recorded in every model's training record. */
  dataRecord?: Record<string, unknown>;
  /** Wall time aimed at per chunk of epochs (default 100 ms). */
  targetMs?: number;
  /**
   * Awaited after every chunk (after onProgress): the page yields to the browser here, so that a sweep on
   * the CPU does not freeze it; throwing stops the sweep (its trainers and device are freed first).
   */
  afterChunk?: () => Promise<void>;
}

// ---- The grid ----

function checkList<T>(name: string, values: readonly T[], valid: (v: T) => boolean, what: string, key: (v: T) => string = String): void {
  if (values.length === 0) throw new InputError(`${name}: no values given`);
  const seen = new Set<string>();
  for (const v of values) {
    if (!valid(v)) throw new InputError(`${name}: ${key(v)} is not ${what}`);
    if (seen.has(key(v))) throw new InputError(`${name}: ${key(v)} is listed twice`);
    seen.add(key(v));
  }
}

/** Checks every list of the grid: non-empty, valid values, no repeats (a repeat is a typo, not a run). */
export function validateGrid(grid: SweepGrid): void {
  const isInt = (min: number) => (v: number) => Number.isInteger(v) && v >= min;
  checkList('--lr', grid.lrs, (v) => Number.isFinite(v) && v > 0, 'a positive learning rate');
  checkList('--seeds', grid.seeds, (v) => isInt(0)(v) && v <= 0xffffffff, 'a seed (an integer from 0 to 2^32 - 1)');
  checkList('--hidden', grid.hidden, (v) => v.every(isInt(1)), 'a list of positive layer sizes', (v) => v.join('x') || '(none)');
  checkList('--activation', grid.activations, () => true, 'an activation');
  checkList('--optimizer', grid.optimizers, () => true, 'an optimizer');
  checkList('--batch', grid.batchSizes, isInt(0), 'a batch size (0 = full batch)');
  checkList('--epochs', grid.epochs, isInt(0), 'an epoch count');
  const count = gridSize(grid);
  if (count > MAX_SWEEP_RUNS) throw new InputError(`the grid has ${count} runs, more than a sweep takes (${MAX_SWEEP_RUNS})`);
}

export function gridSize(grid: SweepGrid): number {
  return grid.lrs.length * grid.seeds.length * grid.hidden.length * grid.activations.length * grid.optimizers.length * grid.batchSizes.length * grid.epochs.length;
}

/**
 * Every run of the grid, in order: hidden sizes, activation, optimizer, batch size, learning rate, epochs,
 * then seed innermost (the repeats of a configuration sit together). `base` gives everything the grid does
 * not vary (momentum, Adam's betas, weight decay, standardization, backend, path).
 */
export function expandSweep(base: TrainConfig, grid: SweepGrid, data: Dataset): SweepRun[] {
  validateGrid(grid);
  const [inputs, , classes] = defaultLayers(data);
  const varies = (values: readonly unknown[]) => values.length > 1;
  const runs: SweepRun[] = [];
  for (const hidden of grid.hidden) {
    for (const activation of grid.activations) {
      for (const kind of grid.optimizers) {
        for (const batchSize of grid.batchSizes) {
          for (const lr of grid.lrs) {
            for (const epochs of grid.epochs) {
              for (const seed of grid.seeds) {
                const layers = [inputs, ...hidden, classes];
                const parts: string[] = [];
                if (varies(grid.hidden)) parts.push(`hidden ${hidden.join('x') || 'none'}`);
                if (varies(grid.activations)) parts.push(activation);
                if (varies(grid.optimizers)) parts.push(kind);
                if (varies(grid.batchSizes)) parts.push(batchSize > 0 ? `batch ${batchSize}` : 'full batch');
                if (varies(grid.lrs) || parts.length === 0) parts.push(`lr ${lr}`);
                if (varies(grid.epochs)) parts.push(`${epochs} epochs`);
                const group = parts.join(', ');
                runs.push({
                  index: runs.length,
                  config: { ...base, layers, activation, optimizer: { ...base.optimizer, kind, lr }, batchSize, epochs, seed },
                  layers,
                  label: varies(grid.seeds) ? `${group}, seed ${seed}` : group,
                  group,
                });
              }
            }
          }
        }
      }
    }
  }
  return runs;
}

// ---- Training ----

/** Runs that differ only in their epoch count: one training, read at each count. */
interface Lane {
  /** The configuration without its epoch count (that of the lane's first run). */
  config: TrainConfig;
  prepared: PreparedTraining;
  /** Run indices and the epoch count each is read at. */
  runs: { index: number; epochs: number }[];
  /** The longest epoch count: how far the lane trains. */
  epochs: number;
  history: EpochRecord[];
}

/** What trains a set of lanes: one GpuTrainer of many runs, or one trainer per lane. */
interface LaneTrainer {
  readonly backend: BackendName;
  readonly deviceName: string;
  trainRuns(epochs: number): Promise<EpochRecord[][]>;
  /** Run `run`'s parameters as last read back: every chunk reads them back with its history. */
  checkpoint(run: number): Checkpoint;
  evaluate(data: Dataset, run: number): Promise<Evaluation>;
  dispose(): void;
}

const laneKey = (c: TrainConfig) => JSON.stringify([c.layers, c.activation, c.optimizer, c.batchSize, c.seed]);
const shapeKey = (c: TrainConfig) => JSON.stringify([c.layers, c.activation, c.optimizer.kind, c.batchSize]);

function makeLanes(split: DataSplit, runs: SweepRun[]): Lane[] {
  const lanes = new Map<string, Lane>();
  for (const run of runs) {
    const key = laneKey(run.config);
    let lane = lanes.get(key);
    if (!lane) {
      lane = { config: run.config, prepared: prepareTraining(split, run.config), runs: [], epochs: 0, history: [] };
      lanes.set(key, lane);
    }
    lane.runs.push({ index: run.index, epochs: run.config.epochs });
    lane.epochs = Math.max(lane.epochs, run.config.epochs);
  }
  return [...lanes.values()];
}

/** Trains `lanes` (lane i is run i of `trainer`) to their longest epoch count, finishing each run at its own. */
async function trainLanes(
  lanes: Lane[],
  trainer: LaneTrainer,
  finish: (lane: Lane, laneRun: number, index: number, epochs: number) => Promise<void>,
  progress: (epochs: number) => Promise<void>,
  targetMs: number,
): Promise<void> {
  const stops = [...new Set(lanes.flatMap((l) => l.runs.map((r) => r.epochs)))].sort((a, b) => a - b);
  const finishAt = async (epochs: number) => {
    for (const [i, lane] of lanes.entries()) for (const r of lane.runs) if (r.epochs === epochs) await finish(lane, i, r.index, epochs);
  };
  let done = 0;
  let chunk = 10;
  if (stops[0] === 0) await finishAt(0);
  for (const stop of stops) {
    while (done < stop) {
      const count = Math.min(chunk, stop - done);
      const started = performance.now();
      const records = await trainer.trainRuns(count);
      lanes.forEach((lane, i) => lane.history.push(...records[i]));
      const elapsed = performance.now() - started;
      chunk = Math.max(1, Math.round(count * Math.min(2, Math.max(0.5, targetMs / Math.max(elapsed, 1e-3)))));
      done += count;
      await progress(count * lanes.length);
    }
    if (stop > 0) await finishAt(stop);
  }
}

function allFinite(p: MlpParams): boolean {
  return [...p.weights, ...p.biases].every((a) => a.every(Number.isFinite));
}

function firstNonFinite(history: readonly EpochRecord[], hasTest: boolean): number | null {
  const bad = history.find((r) => !Number.isFinite(r.trainLoss) || (hasTest && !Number.isFinite(r.testLoss)));
  return bad ? bad.epoch : null;
}

/** Trains every run of the grid; ranks and summarizes them. */
export async function runSweep(split: DataSplit, base: TrainConfig, grid: SweepGrid, hooks: SweepHooks = {}): Promise<SweepResult> {
  const notes: string[] = [];
  const notice = (message: string) => {
    notes.push(message);
    hooks.onNotice?.(message);
  };
  const runs = expandSweep(base, grid, split.train);
  const lanes = makeLanes(split, runs);
  const { standardization, data } = lanes[0].prepared;
  const hasTest = data.test.size > 0;
  let rankBy: RankMetric = hooks.rankBy ?? 'test-loss';
  if (!hasTest && rankBy.startsWith('test')) {
    notice(`no test set: runs are ranked by ${rankBy.replace('test', 'train')} instead of ${rankBy}`);
    rankBy = rankBy.replace('test', 'train') as RankMetric;
  }

  const results: SweepRunResult[] = new Array(runs.length);
  const epochsTotal = lanes.reduce((sum, l) => sum + l.epochs, 0);
  let epochsDone = 0;
  const runHistory = (lane: Lane, epochs: number) => lane.history.slice(0, epochs);
  const laneOf = new Map<number, Lane>();
  for (const lane of lanes) for (const r of lane.runs) laneOf.set(r.index, lane);
  const progress = async (epochs: number) => {
    epochsDone += epochs;
    // The histories are copied only when a listener reads them (the CLI's progress bar does not).
    hooks.onProgress?.({
      get histories() {
        return runs.map((run) => runHistory(laneOf.get(run.index)!, run.config.epochs));
      },
      epochsDone,
      epochsTotal,
    });
    await hooks.afterChunk?.();
  };
  const targetMs = hooks.targetMs ?? 100;
  let sideBySide = 0;
  let backend: BackendName = 'cpu';
  let device = '';

  /** Reads run `index` at `epochs` off `trainer`'s run `laneRun`. */
  const finisher = (trainer: LaneTrainer) => async (lane: Lane, laneRun: number, index: number, epochs: number) => {
    const run = runs[index];
    const { spec, data: d } = lane.prepared;
    const { params } = trainer.checkpoint(laneRun);
    const train = await trainer.evaluate(d.train, laneRun);
    const test = await trainer.evaluate(d.test, laneRun);
    const history = runHistory(lane, epochs);
    const divergedAt = firstNonFinite(history, hasTest);
    const model: Model = {
      params,
      classNames: modelClassNames(split.train, spec),
      standardization,
      training: trainingRecord({
        split,
        spec,
        optimizer: run.config.optimizer,
        batchSize: run.config.batchSize,
        seed: run.config.seed,
        standardized: standardization !== null,
        trainer: { epochsDone: epochs, backend: trainer.backend, deviceName: trainer.deviceName },
        dataRecord: hooks.dataRecord,
      }),
    };
    results[index] = { run, history, train, test, model, divergedAt, diverged: divergedAt !== null || !allFinite(params) };
  };

  /** Trains `todo` one lane after another on the CPU (fast, or the reference for cpu-reference). */
  const onCpu = async (todo: Lane[]) => {
    backend = 'cpu';
    for (const lane of todo) {
      const handle = cpuHandle(lane.prepared.options, '', base.backend === 'cpu-reference');
      const trainer = singleRun(handle.trainer);
      device = trainer.deviceName;
      try {
        await trainLanes([lane], trainer, finisher(trainer), progress, targetMs);
      } finally {
        handle.release();
      }
    }
  };

  /** Trains every lane on `context`: shapes side by side in fused dispatches, or one after another. */
  const onGpu = async (context: GpuContext): Promise<void> => {
    const { GpuTrainer, MAX_FUSED_RUNS } = await import('../gpu/gpuTrainer.ts');
    const { PlanError } = await import('../gpu/plan.ts');
    backend = 'gpu';
    const one = async (lane: Lane) => {
      const trainer = singleRun(await GpuTrainer.create(context, lane.prepared.options, { path: base.gpuPath }));
      device = trainer.deviceName;
      try {
        await trainLanes([lane], trainer, finisher(trainer), progress, targetMs);
      } finally {
        trainer.dispose();
      }
    };
    const shapes = new Map<string, Lane[]>();
    for (const lane of lanes) shapes.set(shapeKey(lane.config), [...(shapes.get(shapeKey(lane.config)) ?? []), lane]);
    if (base.gpuPath === 'general') notice(`--path general: the ${lanes.length} runs train one after another`);
    for (const shape of shapes.values()) {
      if (base.gpuPath === 'general') {
        for (const lane of shape) await one(lane);
        continue;
      }
      for (let first = 0; first < shape.length; first += MAX_FUSED_RUNS) {
        const part = shape.slice(first, first + MAX_FUSED_RUNS);
        const options: TrainerOptions = part[0].prepared.options;
        let trainer;
        try {
          const settings = { path: base.gpuPath };
          trainer = await GpuTrainer.createRuns(context, options, part.map((l) => ({ params: l.prepared.options.params, optimizer: l.config.optimizer, shuffleSeed: l.config.seed })), settings);
        } catch (error) {
          if (!(error instanceof PlanError) || base.gpuPath === 'fused') throw error;
          notice(`layers ${part[0].config.layers!.join('-')}: ${error.message}; its ${part.length} runs train one after another`);
          for (const lane of part) await one(lane);
          continue;
        }
        device = trainer.deviceName;
        if (trainer.path === 'fused') sideBySide += part.reduce((sum, l) => sum + l.runs.length, 0);
        try {
          await trainLanes(part, trainer, finisher(trainer), progress, targetMs);
        } finally {
          trainer.dispose();
        }
      }
    }
  };

  const started = performance.now();
  const context = await sweepContext(base, hooks, notice);
  try {
    if (context) {
      try {
        await onGpu(context);
      } catch (error) {
        if (!(error instanceof GpuDeviceLostError)) throw error;
        // Lanes not finished start over on the CPU (a lane's partial history was trained on the lost device).
        const unfinished = lanes.filter((lane) => lane.runs.some((r) => !results[r.index]));
        const runsLeft = unfinished.reduce((sum, l) => sum + l.runs.length, 0);
        notice(`${error.message}; the ${runsLeft} runs not finished train again from their start on the CPU, one after another`);
        for (const lane of unfinished) {
          epochsDone -= lane.history.length;
          lane.history.length = 0;
        }
        await onCpu(unfinished);
      }
    } else {
      await onCpu(lanes);
    }
  } finally {
    context?.destroy();
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const ranking = rankRuns(results, rankBy);
  return { runs: results, ranking, summaries: summarize(results, rankBy), rankBy, backend, device, wallSeconds, sideBySide, notes, standardization };
}

/** The GPU context a sweep runs on, or null for the CPU; `auto` says which it chose. */
async function sweepContext(base: TrainConfig, hooks: SweepHooks, notice: (m: string) => void): Promise<GpuContext | null> {
  if (base.backend === 'cpu' || base.backend === 'cpu-reference') {
    notice(`backend ${base.backend}: every run trains on the CPU, one after another`);
    return null;
  }
  const acquire = hooks.acquireGpu ?? (() => Promise.reject(new NoGpuError('no GPU provider was given')));
  try {
    const context = await acquire();
    notice(`backend ${base.backend === 'auto' ? 'auto chose gpu' : 'gpu'}: ${context.adapterName}`);
    return context;
  } catch (error) {
    if (base.backend === 'gpu' || !(error instanceof NoGpuError)) throw error;
    notice(`backend auto chose cpu: ${error.message}`);
    return null;
  }
}

/** A single-run trainer as a LaneTrainer of one run. */
function singleRun(trainer: Trainer): LaneTrainer {
  return {
    backend: trainer.backend,
    deviceName: trainer.deviceName,
    trainRuns: async (epochs) => [await trainer.train(epochs)],
    checkpoint: () => trainer.checkpoint(),
    evaluate: (d) => trainer.evaluate(d),
    dispose: () => trainer.dispose(),
  };
}

// ---- Ranking ----

/** The value runs are ranked by, and whether lower is better. */
export function rankValue(result: Pick<SweepRunResult, 'train' | 'test'>, metric: RankMetric): number {
  const evaluation = metric.startsWith('test') ? result.test : result.train;
  return metric.endsWith('loss') ? evaluation.loss : evaluation.accuracy;
}

const lowerIsBetter = (metric: RankMetric) => metric.endsWith('loss');

/** Compares two values of `metric`, best first; NaN last. */
function compareValues(a: number, b: number, metric: RankMetric): number {
  const aBad = !Number.isFinite(a);
  const bBad = !Number.isFinite(b);
  if (aBad || bBad) return Number(aBad) - Number(bBad);
  return lowerIsBetter(metric) ? a - b : b - a;
}

/** Run indices best first; diverged runs last, in grid order. */
export function rankRuns(results: readonly SweepRunResult[], metric: RankMetric): number[] {
  const order = results.map((r) => r.run.index);
  return order.sort((i, j) => {
    const a = results[i];
    const b = results[j];
    if (a.diverged !== b.diverged) return Number(a.diverged) - Number(b.diverged);
    if (a.diverged) return i - j;
    return compareValues(rankValue(a, metric), rankValue(b, metric), metric) || i - j;
  });
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { mean: NaN, std: NaN };
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, std };
}

/** One summary per group of runs that differ only by seed, best mean first. */
export function summarize(results: readonly SweepRunResult[], metric: RankMetric): SweepGroupSummary[] {
  const groups = new Map<string, SweepRunResult[]>();
  for (const r of results) groups.set(r.run.group, [...(groups.get(r.run.group) ?? []), r]);
  const summaries = [...groups.entries()].map(([group, members]): SweepGroupSummary => {
    const finite = members.filter((m) => !m.diverged);
    return {
      group,
      runs: members.map((m) => m.run.index),
      diverged: members.length - finite.length,
      testLoss: spread(finite.map((m) => m.test.loss)),
      testAccuracy: spread(finite.map((m) => m.test.accuracy)),
      trainLoss: spread(finite.map((m) => m.train.loss)),
      trainAccuracy: spread(finite.map((m) => m.train.accuracy)),
    };
  });
  const key = (s: SweepGroupSummary) => rankValue({ train: { loss: s.trainLoss.mean, accuracy: s.trainAccuracy.mean }, test: { loss: s.testLoss.mean, accuracy: s.testAccuracy.mean } } as Pick<SweepRunResult, 'train' | 'test'>, metric);
  return summaries.sort((a, b) => compareValues(key(a), key(b), metric));
}
