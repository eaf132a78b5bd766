// The CPU reference trainer (float32): the specification the GPU backend is proven against. The same
// trainer (batching, shuffling, optimizer steps, evaluation) also drives the fast fused network
// (fastTrainer.ts); only the per-batch computation, a CpuNetwork, differs.

import type { Dataset } from '../data/dataset.ts';
import { layerCount, toFloat32, zerosLike, type MlpParams } from '../model/mlp.ts';
import { confusionMatrix, summarize, type EpochRecord, type Evaluation } from '../train/metrics.ts';
import { effectiveBatchSize, type Checkpoint, type Trainer, type TrainerOptions } from '../train/trainer.ts';
import { forward, forwardBackward, makeWorkspace, predictProbabilities, type Workspace } from './network.ts';
import { adamUpdate, momentumUpdate, sgdUpdate, type OptimizerConfig } from './optimizer.ts';
import { gatherBatch } from './shuffle.ts';
import { softmaxCrossEntropy } from './softmaxCrossEntropy.ts';

const f32 = (n: number) => new Float32Array(n);
/** Largest batch evaluated at once, to bound the workspace for big evaluation sets. */
const EVAL_CHUNK = 8192;

/** The per-batch computation of a CPU trainer, on parameters it holds by reference (updated in place). */
export interface CpuNetwork {
  /**
   * Forward, loss and backward of x (n, inputs), y (n): grads gets the gradient of the MEAN cross-entropy
   * over the batch. Returns the summed loss (float64) and the number classified right.
   */
  forwardBackward(grads: MlpParams, x: Float32Array, y: Uint32Array, n: number): { lossSum: number; correct: number };
  /** predicted (n) = argmax class per sample; returns the summed cross-entropy against y (n). */
  lossAndPredictions(predicted: Uint32Array, x: Float32Array, y: Uint32Array, n: number): number;
  /** probs (n, classes) = softmax of the logits of x (n, inputs). */
  probabilities(probs: Float32Array, x: Float32Array, n: number): void;
}

/** A network kind: what the trainer reports as its device, and how to build one for batches of up to `capacity`. */
export interface CpuNetworkKind {
  readonly deviceName: string;
  create(params: MlpParams, capacity: number): CpuNetwork;
}

/** The reference: network.ts's kernel twins, one pass over the whole batch each, on a Workspace. */
class ReferenceNetwork implements CpuNetwork {
  private readonly ws: Workspace<Float32Array>;

  constructor(
    private readonly params: MlpParams,
    capacity: number,
  ) {
    this.ws = makeWorkspace(params, capacity, f32);
  }

  forwardBackward(grads: MlpParams, x: Float32Array, y: Uint32Array, n: number): { lossSum: number; correct: number } {
    return forwardBackward(this.params, grads, this.ws, x, y, n);
  }

  lossAndPredictions(predicted: Uint32Array, x: Float32Array, y: Uint32Array, n: number): number {
    const { layers } = this.params.spec;
    const last = layerCount(this.params.spec) - 1;
    forward(this.params, this.ws, x, n);
    softmaxCrossEntropy(this.ws.loss, this.ws.dZ[last], predicted, this.ws.z[last], y, n, layers[last + 1], 1);
    let lossSum = 0;
    for (let s = 0; s < n; s++) lossSum += this.ws.loss[s];
    return lossSum;
  }

  probabilities(probs: Float32Array, x: Float32Array, n: number): void {
    predictProbabilities(this.params, this.ws, probs, x, n);
  }
}

export const REFERENCE_NETWORK: CpuNetworkKind = {
  deviceName: 'CPU reference (float32)',
  create: (params, capacity) => new ReferenceNetwork(params, capacity),
};

export class CpuTrainer implements Trainer {
  readonly backend = 'cpu' as const;
  readonly deviceName: string;
  private epochs = 0;
  private steps = 0;
  private readonly params: MlpParams;
  private readonly grads: MlpParams;
  /** Optimizer state: velocity for momentum, first moment for Adam. */
  private readonly state1: MlpParams;
  /** Second moment for Adam. */
  private readonly state2: MlpParams;
  private readonly batchSize: number;
  /** Samples the network takes at once: the batch, or up to EVAL_CHUNK test samples when more. */
  private readonly capacity: number;
  private readonly network: CpuNetwork;
  private readonly batchX: Float32Array;
  private readonly batchY: Uint32Array;
  private disposed = false;

  constructor(
    private readonly options: TrainerOptions,
    kind: CpuNetworkKind = REFERENCE_NETWORK,
  ) {
    const { params, train } = options;
    this.deviceName = kind.deviceName;
    if (train.inputs !== params.spec.layers[0]) {
      throw new Error(`${train.name}: ${train.inputs} inputs per sample, but the model takes ${params.spec.layers[0]}`);
    }
    this.params = toFloat32(params);
    this.grads = zerosLike(params.spec, f32);
    this.state1 = zerosLike(params.spec, f32);
    this.state2 = zerosLike(params.spec, f32);
    this.batchSize = effectiveBatchSize(options.batchSize, train.size);
    this.capacity = Math.max(this.batchSize, Math.min(EVAL_CHUNK, options.test?.size ?? 0));
    this.network = kind.create(this.params, this.capacity);
    this.batchX = new Float32Array(this.batchSize * train.inputs);
    this.batchY = new Uint32Array(this.batchSize);
    this.epochs = options.startEpoch ?? 0;
    this.steps = this.epochs * Math.ceil(train.size / this.batchSize);
  }

  get epochsDone(): number {
    return this.epochs;
  }

  async train(epochs: number): Promise<EpochRecord[]> {
    this.checkAlive();
    const records: EpochRecord[] = [];
    for (let e = 0; e < epochs; e++) records.push(this.trainEpoch());
    return records;
  }

  /** One epoch: every sample once, in batches, each followed by an optimizer step. */
  private trainEpoch(): EpochRecord {
    const { train, test } = this.options;
    const full = this.batchSize === train.size;
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < train.size; start += this.batchSize) {
      const n = Math.min(this.batchSize, train.size - start);
      let x = train.x;
      let y = train.y;
      if (!full) {
        gatherBatch(this.batchX, this.batchY, train.x, train.y, start, n, train.inputs, train.size, this.options.shuffleSeed, this.epochs);
        x = this.batchX;
        y = this.batchY;
      }
      const result = this.network.forwardBackward(this.grads, x, y, n);
      lossSum += result.lossSum;
      correct += result.correct;
      this.step();
    }
    this.epochs++;
    const record: EpochRecord = { epoch: this.epochs, trainLoss: lossSum / train.size, trainAccuracy: correct / train.size, testLoss: NaN, testAccuracy: NaN };
    if (test && test.size > 0) {
      const evaluation = this.evaluateNow(test);
      record.testLoss = evaluation.loss;
      record.testAccuracy = evaluation.accuracy;
    }
    return record;
  }

  /** One optimizer step on every parameter tensor with the gradients in this.grads. */
  private step(): void {
    const o: OptimizerConfig = this.options.optimizer;
    this.steps++;
    for (let l = 0; l < layerCount(this.params.spec); l++) {
      for (const [p, g, s1, s2, wd] of [
        [this.params.weights[l], this.grads.weights[l], this.state1.weights[l], this.state2.weights[l], o.weightDecay],
        [this.params.biases[l], this.grads.biases[l], this.state1.biases[l], this.state2.biases[l], 0],
      ] as const) {
        if (o.kind === 'gd') sgdUpdate(p, g, p.length, o.lr, wd);
        else if (o.kind === 'momentum') momentumUpdate(p, s1, g, p.length, o.lr, o.momentum, wd);
        else adamUpdate(p, s1, s2, g, p.length, o.lr, o.beta1, o.beta2, o.epsilon, wd, this.steps);
      }
    }
  }

  private evaluateNow(data: Dataset): Evaluation {
    const classes = this.params.spec.layers[this.params.spec.layers.length - 1];
    const predicted = new Uint32Array(data.size);
    let lossSum = 0;
    for (let start = 0; start < data.size; start += this.capacity) {
      const n = Math.min(this.capacity, data.size - start);
      const x = data.x.subarray(start * data.inputs, (start + n) * data.inputs);
      const y = data.y.subarray(start, start + n);
      lossSum += this.network.lossAndPredictions(predicted.subarray(start, start + n), x, y, n);
    }
    return summarize(lossSum, confusionMatrix(predicted, data.y, classes));
  }

  async evaluate(data: Dataset): Promise<Evaluation> {
    this.checkAlive();
    if (data.inputs !== this.params.spec.layers[0]) {
      throw new Error(`${data.name}: ${data.inputs} inputs per sample, but the model takes ${this.params.spec.layers[0]}`);
    }
    return this.evaluateNow(data);
  }

  async predict(x: Float32Array, n: number): Promise<Float32Array> {
    this.checkAlive();
    const { layers } = this.params.spec;
    const classes = layers[layers.length - 1];
    const probs = new Float32Array(n * classes);
    for (let start = 0; start < n; start += this.capacity) {
      const count = Math.min(this.capacity, n - start);
      const chunk = x.subarray(start * layers[0], (start + count) * layers[0]);
      this.network.probabilities(probs.subarray(start * classes, (start + count) * classes), chunk, count);
    }
    return probs;
  }

  async getParams(): Promise<MlpParams> {
    this.checkAlive();
    return toFloat32(this.params);
  }

  checkpoint(): Checkpoint {
    return { epochsDone: this.epochs, params: toFloat32(this.params) };
  }

  dispose(): void {
    this.disposed = true;
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error(`${this.deviceName} trainer: used after dispose()`);
  }
}
