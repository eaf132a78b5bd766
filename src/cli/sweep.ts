// `wgtrain sweep`: train a grid of configurations (on the GPU side by side), rank them, and write every
// run's results, one chart of all loss curves and the best run's model into one folder.

import path from 'node:path';
import cliProgress from 'cli-progress';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CpuTrainer } from '../cpu/cpuTrainer.ts';
import { DEFAULT_OPTIMIZER, OPTIMIZERS, type OptimizerKind } from '../cpu/optimizer.ts';
import { applyStandardization } from '../data/standardize.ts';
import { loadData } from '../data/load.ts';
import { boundaryGrid, sweepCurvesSvg } from '../figures/index.ts';
import { acquireNodeGpu, ADAPTER_CHOICES, type AdapterChoice } from '../gpu/nodeGpu.ts';
import { GPU_PATHS, type GpuPath } from '../gpu/plan.ts';
import { ACTIVATIONS, parameterCount, type Activation } from '../model/mlp.ts';
import { BACKEND_CHOICES, type BackendChoice } from '../train/backend.ts';
import { DEFAULT_TRAIN_CONFIG, standardizeInputs, type TrainConfig, type TrainingResult } from '../train/runTraining.ts';
import { gridSize, RANK_METRICS, runSweep, type RankMetric, type Spread, type SweepGrid, type SweepResult } from '../train/sweep.ts';
import { VERSION } from '../version.ts';
import { defaultRunDir, folderWriter, historyCsv, writeArtifacts } from './artifacts.ts';
import { addDataOptions, loadSpecFrom, syntheticDataRecord, type DataOptions } from './dataOptions.ts';
import { addOptimizerSettings, nonNegativeInt, positiveNumber } from './options.ts';
import { formatTable } from './table.ts';

interface SweepOptions extends DataOptions {
  lr: number[];
  seeds: number[] | number;
  seed: number;
  hidden: number[][];
  activation: Activation[];
  optimizer: OptimizerKind[];
  batch: number[];
  epochs: number[];
  momentum: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  standardize: boolean;
  rankBy: RankMetric;
  backend: BackendChoice;
  adapter: AdapterChoice;
  path: 'auto' | GpuPath;
  out?: string;
  quiet?: boolean;
  show: number;
}

/** A comma-separated list of values parsed by `one`. */
function listOf<T>(one: (text: string) => T): (text: string) => T[] {
  return (text) => {
    const parts = text.split(',').map((p) => p.trim());
    if (parts.some((p) => p === '')) throw new InvalidArgumentError(`"${text}" has an empty entry`);
    return parts.map((p) => {
      try {
        return one(p);
      } catch (error) {
        throw new InvalidArgumentError(`in "${text}": ${(error as Error).message}`);
      }
    });
  };
}

function choice<T extends string>(choices: readonly T[]): (text: string) => T {
  return (text) => {
    if (!(choices as readonly string[]).includes(text)) throw new InvalidArgumentError(`"${text}" is not one of ${choices.join(', ')}`);
    return text as T;
  };
}

/** One architecture's hidden sizes: "12" or "16x16" (two hidden layers); "0" or "none" for no hidden layer. */
function hiddenSizes(text: string): number[] {
  if (text === 'none' || text === '0') return [];
  const sizes = text.split('x').map(Number);
  if (!sizes.every((v, i) => /^\d+$/.test(text.split('x')[i]) && v >= 1)) throw new InvalidArgumentError(`"${text}" is not hidden layer sizes like 12 or 16x16`);
  return sizes;
}

/** --seeds: a count N (seeds --seed .. --seed + N - 1) or a comma list of seeds. */
function seedsOption(text: string): number[] | number {
  return text.includes(',') ? listOf(nonNegativeInt)(text) : nonNegativeInt(text);
}

export function addSweepCommand(program: Command): void {
  const o = DEFAULT_OPTIMIZER;
  const command = program
    .command('sweep')
    .description('train a grid of configurations (side by side on the GPU), rank them and write every run, all loss curves and the best model');
  addOptimizerSettings(addDataOptions(command))
    .option('--lr <rates>', 'learning rates, e.g. 0.01,0.1,0.15,0.25', listOf(positiveNumber), [o.lr])
    .option('--seeds <n|list>', 'seeds: a count N (--seed, --seed + 1, ...) or a list, e.g. 5 or 1,7,9', seedsOption, 1)
    .option('--seed <n>', 'first seed when --seeds is a count', nonNegativeInt, DEFAULT_TRAIN_CONFIG.seed)
    .option('--hidden <sizes>', 'hidden layer sizes per architecture, e.g. 8,12,16 or 12,16x16', listOf(hiddenSizes), [[12]])
    .option('--activation <names>', `hidden activations (${ACTIVATIONS.join(', ')})`, listOf(choice(ACTIVATIONS)), [DEFAULT_TRAIN_CONFIG.activation])
    .option('--optimizer <names>', `optimizers (${OPTIMIZERS.join(', ')})`, listOf(choice(OPTIMIZERS)), [o.kind])
    .option('--batch <sizes>', 'samples per update, 0 = full batch, e.g. 0,32', listOf(nonNegativeInt), [0])
    .option('--epochs <counts>', 'epoch counts, e.g. 250,500,1000 (one training per run, read at each count)', listOf(nonNegativeInt), [DEFAULT_TRAIN_CONFIG.epochs])
    .option('--standardize', 'standardize inputs with training-set statistics', false)
    .addOption(new Option('--rank-by <metric>', 'what ranks the runs').choices(RANK_METRICS).default('test-loss'))
    .addOption(new Option('--backend <name>', 'where training runs').choices(BACKEND_CHOICES).default(DEFAULT_TRAIN_CONFIG.backend))
    .addOption(new Option('--adapter <name>', 'GPU adapter for --backend gpu/auto').choices(ADAPTER_CHOICES).default('auto'))
    .addOption(new Option('--path <name>', 'GPU path: auto or fused (runs side by side), general (one after another)').choices(['auto', ...GPU_PATHS]).default('auto'))
    .option('--show <n>', 'rows of the ranked table printed (all are written to runs.csv)', nonNegativeInt, 20)
    .option('--out <dir>', 'output folder (default runs/sweep-DATA-TIMESTAMP)')
    .option('--quiet', 'no progress output')
    .action(async (opts: SweepOptions) => {
      await sweepCommand(opts);
    });
}

async function sweepCommand(opts: SweepOptions): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const split = loadData(loadSpecFrom(opts));
  const seeds = typeof opts.seeds === 'number' ? Array.from({ length: opts.seeds }, (_, i) => opts.seed + i) : opts.seeds;
  const grid: SweepGrid = { lrs: opts.lr, seeds, hidden: opts.hidden, activations: opts.activation, optimizers: opts.optimizer, batchSizes: opts.batch, epochs: opts.epochs };
  const base: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    optimizer: { ...DEFAULT_OPTIMIZER, momentum: opts.momentum, beta1: opts.beta1, beta2: opts.beta2, epsilon: opts.epsilon, weightDecay: opts.weightDecay },
    standardize: opts.standardize,
    backend: opts.backend,
    gpuPath: opts.path,
  };
  const dims = [
    [opts.lr.length, 'lr'],
    [seeds.length, 'seeds'],
    [opts.hidden.length, 'hidden sizes'],
    [opts.activation.length, 'activations'],
    [opts.optimizer.length, 'optimizers'],
    [opts.batch.length, 'batch sizes'],
    [opts.epochs.length, 'epoch counts'],
  ] as const;
  const shape = dims.filter(([n]) => n > 1).map(([n, what]) => `${n} ${what}`);
  log(`sweep of ${gridSize(grid)} runs${shape.length ? ` (${shape.join(' x ')})` : ''} on ${split.train.name}: ${split.train.size} training and ${split.test.size} test samples`);

  const bar = makeSweepProgress(opts.quiet);
  let result: SweepResult;
  try {
    result = await runSweep(split, base, grid, {
      acquireGpu: () => acquireNodeGpu(opts.adapter),
      rankBy: opts.rankBy,
      dataRecord: syntheticDataRecord(opts),
      onProgress: (p) => {
        bar.update(p.epochsDone, p.epochsTotal);
      },
      onNotice: (message) => {
        bar.stop();
        log(message);
      },
    });
  } finally {
    bar.stop();
  }
  log(`trained ${result.runs.length} runs (${result.sideBySide} side by side) in ${result.wallSeconds.toFixed(2)} s on ${result.device}`);
  printRanking(result, opts.show, log);

  const outDir = opts.out ?? defaultRunDir(split.train.name, 'sweep-');
  const { write, written } = folderWriter(outDir);
  write('sweep.json', sweepJson(result, grid, split.train.name));
  write('runs.csv', runsCsv(result));
  write('summary.csv', summaryCsv(result));
  write('history.csv', sweepHistoryCsv(result));
  const drawn = result.runs.filter((r) => !r.diverged);
  const hidden = result.runs.length - drawn.length;
  write(
    'loss-curves.svg',
    sweepCurvesSvg(
      drawn.map((r) => ({ history: r.history, group: r.run.group })),
      { title: `Loss of every run (solid: train, dashed: test)${hidden ? `; ${hidden} diverged not drawn` : ''}` },
    ),
  );
  const bestIndex = result.ranking[0];
  const best = result.runs[bestIndex];
  if (best.diverged) {
    log('every run diverged: no best model written');
  } else {
    const grid2d = split.train.inputs === 2 ? boundaryGrid(split.train, 200) : null;
    const single = await bestAsTrainingResult(result, bestIndex, split, grid2d);
    written.push(...writeArtifacts(path.join(outDir, 'best'), single, split, grid2d));
    const scored = best.test.size > 0 ? { name: 'test', e: best.test } : { name: 'train', e: best.train };
    log(`best: run ${bestIndex + 1} (${best.run.label}), ${best.run.layers.join('-')} (${parameterCount(best.model.params.spec)} parameters): ${scored.name} accuracy ${pct(scored.e.accuracy)}, ${scored.name} cross-entropy ${fmt(scored.e.loss)} -> ${path.join(outDir, 'best', 'model.json')}`);
  }
  log(`wrote ${written.length} files to ${outDir}`);
}

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : '-');
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));
const spreadText = (s: Spread, f: (v: number) => string) => (Number.isFinite(s.mean) ? `${f(s.mean)} ± ${f(s.std)}` : '-');

function printRanking(result: SweepResult, show: number, log: (line: string) => void): void {
  const hasTest = result.runs[0].test.size > 0;
  const rows = result.ranking.slice(0, show).map((i, rank) => {
    const r = result.runs[i];
    return [
      String(rank + 1),
      String(i + 1),
      r.run.label,
      pct(r.train.accuracy),
      fmt(r.train.loss),
      ...(hasTest ? [pct(r.test.accuracy), fmt(r.test.loss)] : []),
      r.diverged ? (r.divergedAt !== null ? `diverged at epoch ${r.divergedAt}` : 'diverged (parameters not finite)') : 'ok',
    ];
  });
  if (rows.length > 0) {
    log(`\nruns ranked by ${result.rankBy}${show < result.runs.length ? ` (best ${show} of ${result.runs.length}; all in runs.csv)` : ''}:`);
    const header = ['rank', 'run', 'configuration', 'train acc', 'train loss', ...(hasTest ? ['test acc', 'test loss'] : []), 'status'];
    for (const line of formatTable([header, ...rows], `rrlrr${hasTest ? 'rr' : ''}l`)) log(line);
  }
  const multiSeed = result.summaries.some((s) => s.runs.length > 1);
  if (multiSeed) {
    log(`\nconfigurations, mean ± std over seeds (diverged runs left out), by ${result.rankBy}:`);
    const header = ['configuration', 'runs', 'diverged', 'train acc', ...(hasTest ? ['test acc', 'test loss'] : ['train loss'])];
    const rows2 = result.summaries.map((s) => [
      s.group,
      String(s.runs.length),
      String(s.diverged),
      spreadText(s.trainAccuracy, pct),
      ...(hasTest ? [spreadText(s.testAccuracy, pct), spreadText(s.testLoss, fmt)] : [spreadText(s.trainLoss, fmt)]),
    ]);
    for (const line of formatTable([header, ...rows2], 'lrrrrr')) log(line);
  }
  const diverged = result.runs.filter((r) => r.diverged).length;
  if (diverged > 0) log(`\n${diverged} of ${result.runs.length} runs diverged (NaN or infinite loss): marked, ranked last, left out of the means`);
}

/** The best run as a single training's result, for the same files `wgtrain train` writes. */
async function bestAsTrainingResult(result: SweepResult, index: number, split: Parameters<typeof writeArtifacts>[2], grid: ReturnType<typeof boundaryGrid> | null): Promise<TrainingResult> {
  const best = result.runs[index];
  const boundaries: Float32Array[] = [];
  if (grid) {
    // The boundary figure only: the CPU reference predicts it from the best parameters.
    const s = result.standardization;
    const train = s ? applyStandardization(split.train, s) : split.train;
    const cpu = new CpuTrainer({ params: best.model.params, train, optimizer: best.run.config.optimizer, batchSize: 0, shuffleSeed: 0 });
    boundaries.push(await cpu.predict(standardizeInputs(grid.inputs, s), grid.width * grid.height));
    cpu.dispose();
  }
  return {
    model: best.model,
    history: best.history,
    train: best.train,
    test: best.test,
    backend: result.backend,
    device: result.device,
    wallSeconds: result.wallSeconds,
    parameterCount: parameterCount(best.model.params.spec),
    notes: [...result.notes, `best of a sweep of ${result.runs.length} runs by ${result.rankBy}: run ${index + 1} (${best.run.label})`],
    boundaries,
  };
}

const finiteOrNull = (_key: string, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value);

function sweepJson(result: SweepResult, grid: SweepGrid, data: string): string {
  const rankOf = new Map(result.ranking.map((run, rank) => [run, rank + 1]));
  const evaluation = (e: { loss: number; accuracy: number; size: number }) => ({ loss: e.loss, accuracy: e.accuracy, size: e.size });
  return `${JSON.stringify(
    {
      wgtrain: VERSION,
      data,
      grid,
      rankBy: result.rankBy,
      backend: result.backend,
      device: result.device,
      wallSeconds: result.wallSeconds,
      sideBySide: result.sideBySide,
      notes: result.notes,
      // Runs are numbered from 1 here, as on the terminal and in the CSV files.
      ranking: result.ranking.map((i) => i + 1),
      summaries: result.summaries.map((s) => ({ ...s, runs: s.runs.map((i) => i + 1) })),
      runs: result.runs.map((r) => ({
        run: r.run.index + 1,
        rank: rankOf.get(r.run.index),
        label: r.run.label,
        group: r.run.group,
        layers: r.run.layers,
        activation: r.run.config.activation,
        optimizer: r.run.config.optimizer,
        batchSize: r.run.config.batchSize,
        epochs: r.run.config.epochs,
        seed: r.run.config.seed,
        diverged: r.diverged,
        divergedAt: r.divergedAt,
        train: evaluation(r.train),
        test: evaluation(r.test),
      })),
    },
    finiteOrNull,
    2,
  )}\n`;
}

const cell = (v: number) => (Number.isNaN(v) ? '' : String(v));

function runsCsv(result: SweepResult): string {
  const rows = result.ranking.map((i, rank) => {
    const r = result.runs[i];
    const c = r.run.config;
    return [rank + 1, i + 1, JSON.stringify(r.run.label), c.optimizer.lr, c.seed, r.run.layers.join('-'), c.activation, c.optimizer.kind, c.batchSize, c.epochs, cell(r.train.loss), cell(r.train.accuracy), cell(r.test.loss), cell(r.test.accuracy), r.diverged ? 'diverged' : 'ok', r.divergedAt ?? ''].join(',');
  });
  return ['rank,run,label,lr,seed,layers,activation,optimizer,batch,epochs,train_loss,train_accuracy,test_loss,test_accuracy,status,diverged_at', ...rows].join('\n') + '\n';
}

function summaryCsv(result: SweepResult): string {
  const rows = result.summaries.map((s, rank) =>
    [rank + 1, JSON.stringify(s.group), s.runs.length, s.diverged, ...[s.trainLoss, s.trainAccuracy, s.testLoss, s.testAccuracy].flatMap((x) => [cell(x.mean), cell(x.std)])].join(','),
  );
  return ['rank,configuration,runs,diverged,train_loss_mean,train_loss_std,train_accuracy_mean,train_accuracy_std,test_loss_mean,test_loss_std,test_accuracy_mean,test_accuracy_std', ...rows].join('\n') + '\n';
}

/** Every run's history in one file: history.csv's columns after a run column (runs numbered from 1). */
function sweepHistoryCsv(result: SweepResult): string {
  const lines = ['run,' + historyCsv([]).trim()];
  for (const r of result.runs) {
    const body = historyCsv(r.history).trim().split('\n').slice(1);
    for (const row of body) lines.push(`${r.run.index + 1},${row}`);
  }
  return lines.join('\n') + '\n';
}

/** Progress over all run-epochs of the sweep: a bar on a terminal, about ten lines otherwise. */
function makeSweepProgress(quiet = false, stream: NodeJS.WriteStream = process.stderr): { update(done: number, total: number): void; stop(): void } {
  if (quiet) return { update() {}, stop() {} };
  const started = performance.now();
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar({ stream, format: 'sweep [{bar}] {percentage}% | {value}/{total} run-epochs | eta {eta_formatted}', hideCursor: true }, cliProgress.Presets.shades_classic);
    let running = false;
    return {
      update(done, total) {
        if (!running) bar.start(total, 0);
        running = true;
        bar.update(done);
      },
      stop() {
        if (running) bar.stop();
        running = false;
      },
    };
  }
  let lastTenth = 0;
  return {
    update(done, total) {
      const tenth = Math.floor((10 * done) / Math.max(1, total));
      if (tenth > lastTenth || done === total) {
        lastTenth = tenth;
        stream.write(`sweep ${done}/${total} run-epochs (${Math.round((100 * done) / Math.max(1, total))}%), ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      }
    },
    stop() {},
  };
}
