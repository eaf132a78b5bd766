// The one interface every backend implements. The CLI, the browser app and the benchmarks drive training
// only through it, so the CPU reference and the GPU backend are interchangeable and testable side by side.

import type { Dataset } from '../data/dataset.ts';
import type { OptimizerConfig } from '../cpu/optimizer.ts';
import type { MlpParams } from '../model/mlp.ts';
import type { EpochRecord, Evaluation } from './metrics.ts';

export type BackendName = 'cpu' | 'gpu';

export interface TrainerOptions {
  /** Starting parameters (copied; the caller's arrays are never modified). */
  params: MlpParams;
  train: Dataset;
  /** Evaluated after every epoch for the history, when given. */
  test?: Dataset;
  optimizer: OptimizerConfig;
  /** Samples per update; >= train.size (or 0) means full batch, the assignment's steepest descent. */
  batchSize: number;
  /** Seed of the per-epoch shuffling of mini-batches (src/cpu/shuffle.ts). */
  shuffleSeed: number;
  /**
   * Epochs already trained when continuing a run (default 0): epoch numbering, shuffling and Adam's step
   * count resume from there. Optimizer moments start from zero.
   */
  startEpoch?: number;
}

export interface Checkpoint {
  epochsDone: number;
  params: MlpParams;
}

export interface Trainer {
  readonly backend: BackendName;
  /** What ran: "CPU (fast float32)", "CPU reference (float32)" or the GPU adapter's description. */
  readonly deviceName: string;
  /** Epochs trained so far (shuffling and Adam's step count continue across train() calls). */
  readonly epochsDone: number;
  /** Trains `epochs` more epochs; one record per epoch. */
  train(epochs: number): Promise<EpochRecord[]>;
  /** Loss, accuracy and confusion matrix of the current parameters on a data set. */
  evaluate(data: Dataset): Promise<Evaluation>;
  /** Class probabilities (n, classes) for inputs x (n, inputs). */
  predict(x: Float32Array, n: number): Promise<Float32Array>;
  /** A copy of the current parameters. */
  getParams(): Promise<MlpParams>;
  /**
   * The latest parameters already on the host and the epoch count they belong to: what training can
   * continue from (on another backend) when this one fails mid-run, e.g. after a GPU device loss.
   */
  checkpoint(): Checkpoint;
  /** Frees everything the trainer holds; it cannot be used afterwards. */
  dispose(): void;
}

/** Samples per update for a data set of `size` samples. */
export function effectiveBatchSize(batchSize: number, size: number): number {
  return batchSize <= 0 || batchSize >= size ? size : batchSize;
}
