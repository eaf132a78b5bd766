// The library's training entry point: data split + configuration in; trained model, history, metrics and
// the decision-boundary grid out. Browser-safe (no Node APIs): the CLI and the page both call it, each
// passing its own way of getting a GPU device.

import type { DataSplit, Dataset } from '../data/dataset.ts';
import { InputError } from '../data/dataset.ts';
import { applyStandardization, fitStandardization, type Standardization } from '../data/standardize.ts';
import { FastCpuTrainer } from '../cpu/fastTrainer.ts';
import { DEFAULT_OPTIMIZER, type OptimizerConfig } from '../cpu/optimizer.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { GpuPath } from '../gpu/plan.ts';
import { initParams, parameterCount, validateSpec, type Activation, type MlpParams, type MlpSpec } from '../model/mlp.ts';
import type { Model } from '../model/modelFile.ts';
import { createTrainer, type BackendChoice } from './backend.ts';
import { trainFor } from './loop.ts';
import type { EpochRecord, Evaluation } from './metrics.ts';
import type { Trainer, TrainerOptions } from './trainer.ts';

/** Every training knob, with the assignment's values as defaults (DEFAULT_TRAIN_CONFIG). */
export interface TrainConfig {
  /** Layer sizes from inputs to classes; null = [inputs, 12, classes] from the data. */
  layers: number[] | null;
  activation: Activation;
  optimizer: OptimizerConfig;
  /** Samples per update; 0 = the whole training set (full-batch steepest descent). */
  batchSize: number;
  epochs: number;
  /** Seeds the initial parameters and the mini-batch shuffling. */
  seed: number;
  /** Standardize inputs with statistics fitted on the training set (stored in the model). */
  standardize: boolean;
  backend: BackendChoice;
  /** GPU only: `fused` (many epochs per dispatch in one workgroup), `general`, or `auto` (fused when it fits). */
  gpuPath: 'auto' | GpuPath;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  layers: null,
  activation: 'softplus',
  optimizer: DEFAULT_OPTIMIZER,
  batchSize: 0,
  epochs: 1000,
  seed: 1,
  standardize: false,
  backend: 'auto',
  gpuPath: 'auto',
};

export interface RunHooks {
  /** How to get a GPU device (acquireNodeGpu, acquireBrowserGpu); without it gpu/auto use the CPU. */
  acquireGpu?: () => Promise<GpuContext>;
  /** Start from this model's parameters (and standardization) instead of a fresh initialisation. */
  init?: Model;
  /** Epochs in the first readback (progress granularity); later chunks adapt to ~100 ms each. Default 10. */
  chunk?: number;
  onProgress?: (history: readonly EpochRecord[]) => void;
  /** What else reproduces the data, recorded in model.json's training (e.g. noise and dataSeed of a synthetic set). */
  dataRecord?: Record<string, unknown>;
  /** One-line notices for the user: backend chosen, device lost and training moved, ... */
  onNotice?: (message: string) => void;
}

/** The decision boundary: class probabilities over a grid of raw (unstandardized) 2-D inputs. */
export interface BoundaryRequest {
  /** grid (points, 2) in raw input coordinates. */
  inputs: Float32Array;
  points: number;
}

export interface TrainingResult {
  model: Model;
  history: EpochRecord[];
  train: Evaluation;
  test: Evaluation;
  backend: 'cpu' | 'gpu';
  device: string;
  wallSeconds: number;
  parameterCount: number;
  notes: string[];
  /** Probabilities (points, classes) for each boundary request, from the final model on its backend. */
  boundaries: Float32Array[];
}

/** The part of a data split and a run that model.json records under "training" (CLI and page alike). */
export interface TrainingRecordFields {
  split: DataSplit;
  spec: MlpSpec;
  optimizer: OptimizerConfig;
  batchSize: number;
  seed: number;
  standardized: boolean;
  /** What trained it: its epoch count, backend and device. */
  trainer: Pick<Trainer, 'epochsDone' | 'backend' | 'deviceName'>;
  /** What else reproduces the data (e.g. noise and dataSeed of a synthetic set). */
  dataRecord?: Record<string, unknown>;
  /** The training record of the model this run continued from. */
  continuedFrom?: Record<string, unknown>;
}

/** model.json's "training" record: enough to know how the model was made and to redo it. */
export function trainingRecord(f: TrainingRecordFields): Record<string, unknown> {
  return {
    data: f.split.train.name,
    trainSize: f.split.train.size,
    testSize: f.split.test.size,
    layers: f.spec.layers,
    activation: f.spec.activation,
    optimizer: f.optimizer,
    batchSize: f.batchSize,
    epochs: f.trainer.epochsDone,
    seed: f.seed,
    standardize: f.standardized,
    backend: f.trainer.backend,
    device: f.trainer.deviceName,
    ...f.dataRecord,
    ...(f.continuedFrom ? { continuedFrom: f.continuedFrom } : {}),
  };
}

/** Epochs a model.json says its model was trained for (0 when it does not say). */
export function trainedEpochs(model: Model): number {
  const epochs = Number(model.training.epochs);
  return Number.isInteger(epochs) && epochs > 0 ? epochs : 0;
}

/** Checks that the data fits the model: input width and every label below the output size. */
export function checkDataFitsModel(data: Dataset, spec: MlpSpec, modelName: string): void {
  const inputs = spec.layers[0];
  const classes = spec.layers[spec.layers.length - 1];
  if (data.inputs !== inputs) throw new InputError(`${data.name}: ${data.inputs} inputs per sample, but ${modelName} takes ${inputs}`);
  if (data.classes > classes) {
    for (let i = 0; i < data.size; i++) {
      if (data.y[i] >= classes) throw new InputError(`${data.name}: sample ${i + 1} has label ${data.y[i]}, but ${modelName} has only ${classes} outputs (labels 0..${classes - 1})`);
    }
  }
}

function standardizeSplit(split: DataSplit, s: Standardization | null): DataSplit {
  return s ? { train: applyStandardization(split.train, s), test: applyStandardization(split.test, s) } : split;
}

/** What a run trains on: its model shape, the (standardized) data and the trainer's options. */
export interface PreparedTraining {
  spec: MlpSpec;
  standardization: Standardization | null;
  /** The split as the trainer sees it (standardized when asked). */
  data: DataSplit;
  options: TrainerOptions;
}

/** Default layers for data: inputs, 12 hidden, classes (at least 2). */
export function defaultLayers(data: Dataset): number[] {
  return [data.inputs, 12, Math.max(2, data.classes)];
}

/** Checks config against the data and sets up a run: shape, standardization, initial parameters. */
export function prepareTraining(split: DataSplit, config: TrainConfig, init?: Model): PreparedTraining {
  const { train } = split;
  const layers = init ? [...init.params.spec.layers] : config.layers ?? defaultLayers(train);
  const spec: MlpSpec = init ? init.params.spec : { layers, activation: config.activation };
  validateSpec(spec);
  const modelName = init ? 'the --init model' : `--layers ${layers.join(',')}`;
  checkDataFitsModel(split.train, spec, modelName);
  checkDataFitsModel(split.test, spec, modelName);
  const standardization = init?.standardization ?? (config.standardize ? fitStandardization(train) : null);
  const data = standardizeSplit(split, standardization);
  const initial: MlpParams = init ? init.params : initParams(spec, config.seed);
  const options: TrainerOptions = {
    params: initial,
    train: data.train,
    test: data.test.size > 0 ? data.test : undefined,
    optimizer: config.optimizer,
    batchSize: config.batchSize,
    shuffleSeed: config.seed,
    // Continuing a saved model resumes its epoch numbering and shuffling (optimizer moments restart).
    startEpoch: init ? trainedEpochs(init) : 0,
  };
  return { spec, standardization, data, options };
}

/** Class names of a model trained on `train` with `spec`: the data's, then numbers for extra outputs. */
export function modelClassNames(train: Dataset, spec: MlpSpec): string[] {
  return [...train.classNames, ...Array.from({ length: spec.layers[spec.layers.length - 1] - train.classes }, (_, c) => String(train.classes + c))];
}

/** Standardizes raw grid inputs (points, inputs) in place of a copy. */
export function standardizeInputs(x: Float32Array, s: Standardization | null): Float32Array {
  if (!s) return x;
  const d = s.mean.length;
  return x.map((v, i) => (v - s.mean[i % d]) / s.std[i % d]);
}

/** Trains a model on split.train, evaluating on split.test after every epoch. */
export async function runTraining(
  split: DataSplit,
  config: TrainConfig,
  hooks: RunHooks = {},
  boundaryRequests: BoundaryRequest[] = [],
): Promise<TrainingResult> {
  const notes: string[] = [];
  const notice = (message: string) => {
    notes.push(message);
    hooks.onNotice?.(message);
  };
  const { train } = split;
  const { spec, standardization, data, options } = prepareTraining(split, config, hooks.init);
  const acquireGpu = hooks.acquireGpu ?? (async () => {
    const { NoGpuError } = await import('../gpu/device.ts');
    throw new NoGpuError('no GPU provider was given');
  });
  const handle = await createTrainer(options, { backend: config.backend, acquireGpu, gpuSettings: { path: config.gpuPath } });
  notice(handle.note);
  let trainer: Trainer = handle.trainer;
  const owned: (() => void)[] = [handle.release];
  try {
    const started = performance.now();
    const result = await trainFor(trainer, config.epochs, {
      chunk: hooks.chunk ?? 10,
      onProgress: hooks.onProgress,
      onDeviceLost: async (checkpoint, error) => {
        const cpu = new FastCpuTrainer({ ...options, params: checkpoint.params, startEpoch: checkpoint.epochsDone });
        notice(`${error.message}; continuing on the ${cpu.deviceName} from epoch ${checkpoint.epochsDone} (the last parameters read back)`);
        owned.push(() => cpu.dispose());
        return cpu;
      },
    });
    trainer = result.trainer;
    const wallSeconds = (performance.now() - started) / 1000;
    const params = await trainer.getParams();
    const trainEvaluation = await trainer.evaluate(data.train);
    const testEvaluation = await trainer.evaluate(data.test);
    const boundaries: Float32Array[] = [];
    for (const request of boundaryRequests) boundaries.push(await trainer.predict(standardizeInputs(request.inputs, standardization), request.points));
    const model: Model = {
      params,
      classNames: hooks.init?.classNames ?? modelClassNames(train, spec),
      standardization,
      training: trainingRecord({
        split,
        spec,
        optimizer: config.optimizer,
        batchSize: config.batchSize,
        seed: config.seed,
        standardized: standardization !== null,
        trainer,
        dataRecord: hooks.dataRecord,
        continuedFrom: hooks.init?.training,
      }),
    };
    return {
      model,
      history: result.history,
      train: trainEvaluation,
      test: testEvaluation,
      backend: trainer.backend,
      device: trainer.deviceName,
      wallSeconds,
      parameterCount: parameterCount(spec),
      notes,
      boundaries,
    };
  } finally {
    for (const release of owned) release();
  }
}
