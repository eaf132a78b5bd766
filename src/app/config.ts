// Every knob of the browser app in one place, with its default. The training defaults are the CLI's
// (DEFAULT_TRAIN_CONFIG, DEFAULT_OPTIMIZER, the CLI's data defaults), so a model trained with the page's
// defaults is the one `wgtrain train` makes, and `wgtrain eval --data rings5` sees the page's data.

import { DEFAULT_OPTIMIZER, type OptimizerConfig, type OptimizerKind } from '../cpu/optimizer.ts';
import type { Activation } from '../model/mlp.ts';
import { DEFAULT_TRAIN_CONFIG } from '../train/runTraining.ts';

/** Where the data comes from: a synthetic set, or files the user dropped on the page. */
export type DataChoice =
  | { kind: 'synthetic'; name: string; trainSize: number; testSize: number; noise: number; classes: number | null; seed: number }
  | { kind: 'files'; train: string; test: string | null; split: number; seed: number };

/** What the page trains: the controls on the left, as values. */
export interface AppConfig {
  data: DataChoice;
  /** Hidden layer sizes; the input and output sizes come from the data (the CLI's [inputs, 12, classes]). */
  hidden: number[];
  activation: Activation;
  optimizer: OptimizerConfig;
  /** Samples per update; 0 = full batch (the assignment's steepest descent). */
  batchSize: number;
  /** Epochs one run trains: Start trains this many more (Pause then Start resumes the same run). */
  epochs: number;
  /** Seeds the initial parameters and the mini-batch shuffling (the CLI's --seed). */
  seed: number;
  standardize: boolean;
  /** 'gpu' asks for WebGPU and says so when it falls back to the CPU (createTrainer's 'auto'). */
  backend: 'gpu' | 'cpu';
}

export const DEFAULT_APP_CONFIG: AppConfig = {
  data: { kind: 'synthetic', name: 'rings5', trainSize: 400, testSize: 100, noise: 1, classes: null, seed: 1 },
  hidden: [12],
  activation: DEFAULT_TRAIN_CONFIG.activation,
  optimizer: DEFAULT_OPTIMIZER,
  batchSize: DEFAULT_TRAIN_CONFIG.batchSize,
  epochs: DEFAULT_TRAIN_CONFIG.epochs,
  seed: DEFAULT_TRAIN_CONFIG.seed,
  standardize: DEFAULT_TRAIN_CONFIG.standardize,
  backend: 'gpu',
};

/** How the page names the optimizers (its select and the sweep's checkboxes). */
export const OPTIMIZER_LABELS: Record<OptimizerKind, string> = { gd: 'GD', momentum: 'momentum', adam: 'Adam' };

/** Fraction of a single dropped data file held out as the test set (the CLI's --split default). */
export const DEFAULT_SPLIT = 0.2;

/** Scheduling of the training loop and of the views. */
export const TIMING = {
  /**
   * Wall time one train() chunk aims at, per backend. On the CPU a chunk blocks the page, so it stays short;
   * on the GPU the page is free while the GPU works, and one chunk is one readback, so a chunk lasts about
   * one chart refresh: the history is read back about once per refresh, never once per epoch.
   */
  chunkTargetMs: { cpu: 40, gpu: 90 },
  /** Largest number of epochs in one chunk. */
  maxChunkEpochs: 4096,
  /** The loss and accuracy curves are redrawn at most this often (and at least this often while training). */
  chartRefreshMs: 100,
  /** The decision boundary and the confusion matrix are recomputed at most this often ... */
  viewRefreshMs: 250,
  /** ... and take at most this fraction of the wall time (they wait longer when they are slow). */
  viewTimeShare: 0.25,
} as const;

/** Pixels per side of the grid the decision boundary is predicted on (the CLI's figure uses 200). */
export const BOUNDARY_RESOLUTION = 160;
/** Points drawn on the curves at most; longer histories are shown with an even stride. */
export const MAX_CHART_POINTS = 4000;
