// The library API that runs in a browser: `import { ... } from 'wgtrain'` in a bundler that picks the
// package's `browser` entry (Vite, webpack, esbuild with platform browser), or `from 'wgtrain/browser'`.
// Everything but the Node adapter search (src/index.ts adds it); files and MNIST load only in Node.
// The reference carries WebGPU's types (GPUDevice, ...) into the emitted declarations for dependants.

/// <reference types="@webgpu/types" preserve="true" />

export { type Dataset, type DataSplit, InputError, makeDataset, selectSamples } from './data/dataset.ts';
export { loadData, type LoadSpec } from './data/load.ts';
export { makeSyntheticSplit, SYNTHETIC_NAMES, SYNTHETIC_SETS } from './data/synthetic.ts';
export { loadMnist } from './data/mnist.ts';
export { parseCsv, toCsv } from './data/csv.ts';
export { parseJsonData } from './data/json.ts';
export { applyStandardization, fitStandardization, type Standardization } from './data/standardize.ts';

export { ACTIVATIONS, type Activation, initParams, type MlpParams, type MlpSpec, ModelError, parameterCount } from './model/mlp.ts';
export { type Model, ModelFileError, parseModel, serializeModel } from './model/modelFile.ts';

export { CpuTrainer } from './cpu/cpuTrainer.ts';
export { FastCpuTrainer } from './cpu/fastTrainer.ts';
export { DEFAULT_OPTIMIZER, OPTIMIZERS, type OptimizerConfig, type OptimizerKind } from './cpu/optimizer.ts';
export { GpuContext, GpuDeviceLostError, GpuValidationError, NoGpuError, acquireBrowserGpu } from './gpu/device.ts';

export type { Checkpoint, Trainer, TrainerOptions } from './train/trainer.ts';
export { createTrainer, type BackendChoice, type TrainerHandle } from './train/backend.ts';
export { trainFor } from './train/loop.ts';
export { DEFAULT_TRAIN_CONFIG, runTraining, type TrainConfig, type TrainingResult } from './train/runTraining.ts';
export { gradientCheck, type GradCheckResult } from './train/gradcheck.ts';
export {
  expandSweep,
  RANK_METRICS,
  runSweep,
  type RankMetric,
  type SweepGrid,
  type SweepGroupSummary,
  type SweepHooks,
  type SweepProgress,
  type SweepResult,
  type SweepRun,
  type SweepRunResult,
} from './train/sweep.ts';
export type { EpochRecord, Evaluation } from './train/metrics.ts';
export { VERSION } from './version.ts';
