// `wgtrain train`: load data, train on the chosen backend, evaluate, write the run's files.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { DEFAULT_OPTIMIZER, OPTIMIZERS, type OptimizerKind } from '../cpu/optimizer.ts';
import { InputError } from '../data/dataset.ts';
import { loadData } from '../data/load.ts';
import { boundaryGrid } from '../figures/index.ts';
import { acquireNodeGpu, ADAPTER_CHOICES, type AdapterChoice } from '../gpu/nodeGpu.ts';
import { GPU_PATHS, type GpuPath } from '../gpu/plan.ts';
import { ACTIVATIONS, parameterCount, parseLayers, type Activation } from '../model/mlp.ts';
import { parseModel, type Model } from '../model/modelFile.ts';
import { BACKEND_CHOICES, type BackendChoice } from '../train/backend.ts';
import { DEFAULT_TRAIN_CONFIG, runTraining, trainedEpochs, type TrainConfig } from '../train/runTraining.ts';
import { defaultRunDir, writeArtifacts } from './artifacts.ts';
import { addDataOptions, loadSpecFrom, syntheticDataRecord, type DataOptions } from './dataOptions.ts';
import { addOptimizerSettings, nonNegativeInt, positiveInt, positiveNumber } from './options.ts';
import { makeProgress } from './progress.ts';

interface TrainOptions extends DataOptions {
  layers?: string;
  activation: Activation;
  optimizer: OptimizerKind;
  lr: number;
  momentum: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  batch: number;
  epochs: number;
  seed: number;
  standardize: boolean;
  init?: string;
  backend: BackendChoice;
  adapter: AdapterChoice;
  path: 'auto' | GpuPath;
  out?: string;
  quiet?: boolean;
}

/** Reads and validates a model.json given on the command line. */
export function readModelFile(file: string): Model {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new InputError(`${file}: no such file`);
    throw new InputError(`${file}: cannot read: ${(error as Error).message}`);
  }
  return parseModel(text, file);
}

export function addTrainCommand(program: Command): void {
  const o = DEFAULT_OPTIMIZER;
  const command = program.command('train').description('train a model and write model.json, metrics, history and figures');
  addOptimizerSettings(addDataOptions(command))
    .option('--layers <sizes>', 'layer sizes from inputs to classes, e.g. 2,12,5 (default: inputs,12,classes)')
    .addOption(new Option('--activation <name>', 'hidden activation').choices(ACTIVATIONS).default(DEFAULT_TRAIN_CONFIG.activation))
    .addOption(new Option('--optimizer <name>', 'gd (steepest descent; with --batch, mini-batch SGD), momentum or adam').choices(OPTIMIZERS).default(o.kind))
    .option('--lr <rate>', 'learning rate', positiveNumber, o.lr)
    .option('--batch <n>', 'samples per update, shuffled each epoch (default: full batch)', positiveInt)
    .option('--epochs <n>', 'epochs to train (0 writes the initial model)', nonNegativeInt, DEFAULT_TRAIN_CONFIG.epochs)
    .option('--seed <n>', 'seed of the initial parameters and the shuffling', nonNegativeInt, DEFAULT_TRAIN_CONFIG.seed)
    .option('--standardize', 'standardize inputs with training-set statistics (stored in model.json)', false)
    .option('--init <model.json>', 'start from these parameters (e.g. to continue training)')
    .addOption(new Option('--backend <name>', 'where training runs').choices(BACKEND_CHOICES).default(DEFAULT_TRAIN_CONFIG.backend))
    .addOption(new Option('--adapter <name>', 'GPU adapter for --backend gpu/auto').choices(ADAPTER_CHOICES).default('auto'))
    .addOption(new Option('--path <name>', 'GPU path: fused (many epochs per dispatch, small models), general, or auto').choices(['auto', ...GPU_PATHS]).default('auto'))
    .option('--out <dir>', 'output folder (default runs/DATA-TIMESTAMP)')
    .option('--quiet', 'no progress output')
    .action(async (opts: TrainOptions) => {
      await trainCommand(opts);
    });
}

async function trainCommand(opts: TrainOptions): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const init = opts.init ? readModelFile(opts.init) : undefined;
  if (init && opts.layers) throw new InputError(`--layers and --init both given: the --init model fixes the layers (${init.params.spec.layers.join(',')})`);
  const split = loadData(loadSpecFrom(opts));
  const config: TrainConfig = {
    layers: opts.layers ? parseLayers(opts.layers) : null,
    activation: opts.activation,
    optimizer: { kind: opts.optimizer, lr: opts.lr, momentum: opts.momentum, beta1: opts.beta1, beta2: opts.beta2, epsilon: opts.epsilon, weightDecay: opts.weightDecay },
    batchSize: opts.batch ?? 0,
    epochs: opts.epochs,
    seed: opts.seed,
    standardize: opts.standardize,
    backend: opts.backend,
    gpuPath: opts.path,
  };
  const layers = init?.params.spec.layers ?? config.layers ?? [split.train.inputs, 12, Math.max(2, split.train.classes)];
  const activation = init?.params.spec.activation ?? config.activation;
  log(`model ${layers.join('-')} ${activation} + softmax: ${parameterCount({ layers, activation })} parameters`);
  log(`data ${split.train.name}: ${split.train.size} training and ${split.test.size} test samples, ${split.train.inputs} inputs, ${split.train.classes} classes`);
  const batch = config.batchSize > 0 && config.batchSize < split.train.size ? `mini-batch ${config.batchSize}` : 'full batch';
  log(`optimizer ${config.optimizer.kind}, lr ${config.optimizer.lr}, ${batch}, ${config.epochs} epochs, seed ${config.seed}`);

  const grid = split.train.inputs === 2 ? boundaryGrid(split.train, 200) : null;
  const progress = makeProgress(config.epochs, init ? trainedEpochs(init) : 0, process.stderr, opts.quiet);
  let result;
  try {
    result = await runTraining(
      split,
      config,
      {
        acquireGpu: () => acquireNodeGpu(opts.adapter),
        init,
        dataRecord: syntheticDataRecord(opts),
        onProgress: (history) => progress.update(history),
        onNotice: (message) => {
          progress.stop();
          log(message);
        },
      },
      grid ? [{ inputs: grid.inputs, points: grid.width * grid.height }] : [],
    );
  } finally {
    progress.stop();
  }

  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  log(`trained ${result.history.length} epochs in ${result.wallSeconds.toFixed(2)} s on ${result.device}`);
  log(`train accuracy ${pct(result.train.accuracy)}, cross-entropy ${result.train.loss.toFixed(4)}`);
  if (result.test.size > 0) log(`test accuracy ${pct(result.test.accuracy)}, cross-entropy ${result.test.loss.toFixed(4)}`);
  const outDir = opts.out ?? defaultRunDir(split.train.name);
  const written = writeArtifacts(outDir, result, split, grid);
  log(`wrote ${written.length} files to ${outDir}: ${written.map((f) => path.basename(f)).join(', ')}`);
}
