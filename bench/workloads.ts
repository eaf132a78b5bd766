// What every system trains: the four workloads of the issue, the two sweeps, their quick (CI-sized)
// versions, and the inputs built from them once, outside every timed region. Every system gets the same
// data, the same initial parameters (initParams with INIT_SEED) and the same optimizer settings.

import { loadMnist } from '../src/data/mnist.ts';
import { makeSyntheticSplit } from '../src/data/synthetic.ts';
import { selectSamples, type Dataset } from '../src/data/dataset.ts';
import { generalEpochWork } from '../src/gpu/plan.ts';
import { initParams, type MlpParams, type MlpSpec } from '../src/model/mlp.ts';

export type SuiteName = 'workloads' | 'sweep-n' | 'sweep-width';

export interface Workload {
  /** "W1", "N=1000", "H=64". */
  id: string;
  suite: SuiteName;
  /** One line: model, data, batch, optimizer. */
  title: string;
  spec: MlpSpec;
  data: { kind: 'rings5'; trainSize: number } | { kind: 'mnist'; trainSize: number; testSize: number };
  /** Samples per update; 0 = full batch (steepest descent). */
  batchSize: number;
  /** Plain SGD / gradient descent step size. */
  lr: number;
  /**
   * Epochs the workload stands for (the numbers): the most the agreement check trains from the
   * initial parameters (fewer where the check budget runs out; every row states its count).
   */
  epochs: number;
  /** The swept value (N or hidden width) for the sweeps. */
  sweepValue?: number;
  /** A workload with the same model, data and settings: its rows stand for this one when it ran. */
  sameAs?: string;
}

/** Seeds shared by every system: data, initial parameters, mini-batch shuffling. */
export const DATA_SEED = 1;
export const INIT_SEED = 1;
export const SHUFFLE_SEED = 1;

const softplus = (layers: number[]): MlpSpec => ({ layers, activation: 'softplus' });

/** The four workloads at the sizes. */
export function fullWorkloads(): Workload[] {
  return [
    { id: 'W1', suite: 'workloads', title: 'the assignment: 2-12-5 softplus, N=400, full-batch GD lr 0.1', spec: softplus([2, 12, 5]), data: { kind: 'rings5', trainSize: 400 }, batchSize: 0, lr: 0.1, epochs: 1000 },
    { id: 'W2', suite: 'workloads', title: 'big batch: 2-12-5, N=100,000, full batch', spec: softplus([2, 12, 5]), data: { kind: 'rings5', trainSize: 100_000 }, batchSize: 0, lr: 0.1, epochs: 100 },
    { id: 'W3', suite: 'workloads', title: 'wide: 2-256-256-5, N=16,384, full batch', spec: softplus([2, 256, 256, 5]), data: { kind: 'rings5', trainSize: 16_384 }, batchSize: 0, lr: 0.1, epochs: 100 },
    { id: 'W4', suite: 'workloads', title: 'MNIST: 784-128-10, batch 256, SGD lr 0.1, 8,000 train / 2,000 test', spec: softplus([784, 128, 10]), data: { kind: 'mnist', trainSize: 8000, testSize: 2000 }, batchSize: 256, lr: 0.1, epochs: 5 },
  ];
}

/** CI-sized versions: the same shapes of problem, small enough for a one-minute smoke run. */
export function quickWorkloads(): Workload[] {
  return [
    { id: 'W1', suite: 'workloads', title: 'the assignment: 2-12-5 softplus, N=400, full-batch GD lr 0.1', spec: softplus([2, 12, 5]), data: { kind: 'rings5', trainSize: 400 }, batchSize: 0, lr: 0.1, epochs: 1000 },
    { id: 'W2q', suite: 'workloads', title: 'big batch (quick): 2-12-5, N=5,000, full batch', spec: softplus([2, 12, 5]), data: { kind: 'rings5', trainSize: 5000 }, batchSize: 0, lr: 0.1, epochs: 100 },
    { id: 'W3q', suite: 'workloads', title: 'wide (quick): 2-64-64-5, N=1,024, full batch', spec: softplus([2, 64, 64, 5]), data: { kind: 'rings5', trainSize: 1024 }, batchSize: 0, lr: 0.1, epochs: 100 },
    { id: 'W4q', suite: 'workloads', title: 'MNIST (quick): 784-128-10, batch 256, SGD lr 0.1, 512 train / 512 test', spec: softplus([784, 128, 10]), data: { kind: 'mnist', trainSize: 512, testSize: 512 }, batchSize: 256, lr: 0.1, epochs: 5 },
  ];
}

/** N from 100 to 1,000,000 on the assignment's model, full batch: where the GPU overtakes the CPU. */
export function sweepN(quick: boolean): Workload[] {
  const sizes = quick ? [100, 1000, 5000] : [100, 1000, 10_000, 100_000, 1_000_000];
  return sizes.map((n) => ({
    id: `N=${n}`,
    suite: 'sweep-n' as const,
    title: `2-12-5, N=${n.toLocaleString('en-US')}, full batch`,
    spec: softplus([2, 12, 5]),
    data: { kind: 'rings5' as const, trainSize: n },
    batchSize: 0,
    lr: 0.1,
    epochs: 100,
    sweepValue: n,
    // N=100,000 is W2 exactly.
    ...(n === 100_000 && !quick ? { sameAs: 'W2' } : {}),
  }));
}

/**
 * Hidden width from 12 to 1,024 at N=16,384 (quick: N=512): one hidden layer, 2-H-5, the assignment's
 * model widened. (Two hidden layers of 1,024 would take minutes an epoch on the CPU reference here; W3
 * covers two wide layers.)
 */
export function sweepWidth(quick: boolean): Workload[] {
  const widths = quick ? [12, 64, 256] : [12, 32, 64, 128, 256, 512, 1024];
  const n = quick ? 512 : 16_384;
  return widths.map((h) => ({
    id: `H=${h}`,
    suite: 'sweep-width' as const,
    title: `2-${h}-5, N=${n.toLocaleString('en-US')}, full batch`,
    spec: softplus([2, h, 5]),
    data: { kind: 'rings5' as const, trainSize: n },
    batchSize: 0,
    lr: 0.1,
    epochs: 100,
    sweepValue: h,
  }));
}

/** A workload with its inputs built: what the systems receive. */
export interface WorkloadInputs {
  workload: Workload;
  train: Dataset;
  /** Held-out data (MNIST only), for the test accuracy after the check run. */
  test: Dataset | null;
  params: MlpParams;
  /** Effective samples per update (1..train.size). */
  batchSize: number;
  stepsPerEpoch: number;
  /** Nominal matmul FLOPs of one training epoch (see trainingFlopsPerSample). */
  flopsPerEpoch: number;
}

export function buildInputs(w: Workload): WorkloadInputs {
  let train: Dataset;
  let test: Dataset | null = null;
  if (w.data.kind === 'mnist') {
    const split = loadMnist({ trainSize: w.data.trainSize, testSize: w.data.testSize, seed: DATA_SEED });
    train = split.train;
    test = split.test;
  } else {
    train = makeSyntheticSplit('rings5', { trainSize: w.data.trainSize, testSize: 0, seed: DATA_SEED }).train;
  }
  const batchSize = w.batchSize <= 0 || w.batchSize >= train.size ? train.size : w.batchSize;
  return {
    workload: w,
    train,
    test,
    params: initParams(w.spec, INIT_SEED),
    batchSize,
    stepsPerEpoch: Math.ceil(train.size / batchSize),
    flopsPerEpoch: trainingFlopsPerSample(w.spec) * train.size,
  };
}

/**
 * Matmul FLOPs of one sample's training step, the same nominal count for every system (2 per
 * multiply-add): per layer the forward x W^T (2·in·out), the weight gradient dZ^T A (2·in·out) and, above
 * the first layer, the input gradient dZ W (2·in·out). Elementwise work (bias, activation, softmax,
 * update) is left out: it is O(out), not O(in·out). Twice src/gpu/plan.ts generalEpochWork's multiply-adds,
 * the count `auto` picks the general path's kernels by.
 */
export function trainingFlopsPerSample(spec: MlpSpec): number {
  return 2 * generalEpochWork(spec, 1);
}

/**
 * The first 1/factor of the training samples (at least one batch), same model, parameters and batch size,
 * under the workload id "ID/probe": a cheap run whose epoch time, scaled by work, predicts the full one's.
 */
export function subsampleInputs(inp: WorkloadInputs, factor: number): WorkloadInputs {
  const size = Math.min(inp.train.size, Math.max(inp.batchSize < inp.train.size ? inp.batchSize : 1, Math.ceil(inp.train.size / factor)));
  const indices = Array.from({ length: size }, (_, i) => i);
  const train = selectSamples(inp.train, indices, `${inp.train.name} (probe)`);
  const batchSize = inp.batchSize < inp.train.size ? Math.min(inp.batchSize, size) : size;
  return {
    workload: { ...inp.workload, id: `${inp.workload.id}/probe`, data: { ...inp.workload.data, trainSize: size } },
    train,
    test: null,
    params: inp.params,
    batchSize,
    stepsPerEpoch: Math.ceil(size / batchSize),
    flopsPerEpoch: trainingFlopsPerSample(inp.workload.spec) * size,
  };
}
