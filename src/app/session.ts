// One model being trained in the page: its data, its trainer (GPU or CPU, behind the Trainer interface),
// the history and the latest views (decision boundary, evaluations). Training runs in chunks of epochs
// sized to take about TIMING.chunkTargetMs each, yielding to the browser between chunks, so the page
// stays responsive; the views are recomputed on the trainer's backend (the GPU when it runs there) at most
// every TIMING.viewRefreshMs. Every use of the trainer goes through one queue (`exclusive`), so clicks
// never interleave with a chunk.

import { FAST_NETWORK, FastCpuTrainer } from '../cpu/fastTrainer.ts';
import type { OptimizerConfig } from '../cpu/optimizer.ts';
import type { DataSplit } from '../data/dataset.ts';
import { applyStandardization, fitStandardization, type Standardization } from '../data/standardize.ts';
import { boundaryGrid, type BoundaryGrid } from '../figures/decisionBoundary.ts';
import { GpuDeviceLostError, type GpuContext } from '../gpu/device.ts';
import { initParams, validateSpec, type MlpParams, type MlpSpec } from '../model/mlp.ts';
import type { Model } from '../model/modelFile.ts';
import { createTrainer, type TrainerHandle } from '../train/backend.ts';
import type { Evaluation } from '../train/metrics.ts';
import { checkDataFitsModel, trainedEpochs, trainingRecord } from '../train/runTraining.ts';
import type { Trainer, TrainerOptions } from '../train/trainer.ts';
import { BOUNDARY_RESOLUTION, TIMING, type AppConfig } from './config.ts';
import { dataRecord } from './data.ts';
import { History } from './history.ts';

export type SessionStatus = 'building' | 'ready' | 'running' | 'paused' | 'done' | 'error' | 'disposed';

export type NoticeKind = 'info' | 'warn' | 'error';

export interface SessionListener {
  /** New epochs in the history (called after every chunk; the page throttles its redraws). */
  history(): void;
  /** New boundary probabilities and evaluations. */
  views(): void;
  status(status: SessionStatus): void;
  notice(message: string, kind: NoticeKind): void;
}

/** The training knobs that can change without starting over: the trainer is rebuilt from the current parameters. */
export interface Reconfigurable {
  optimizer: OptimizerConfig;
  batchSize: number;
  backend: 'gpu' | 'cpu';
}

/** Hands control back to the browser (input, rendering) before the next chunk; not throttled like timers in background tabs. */
export function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** What the page says when it asked for WebGPU and got none; `reason` is the NoGpuError's message. */
export function noWebGpuMessage(reason: string): string {
  return `No WebGPU in this browser (${reason}): training runs on the ${FAST_NETWORK.deviceName} instead.`;
}

/** Raw 2-D grid inputs (points, 2) standardized like the model's inputs. */
function standardizeInputs(x: Float32Array, s: Standardization | null): Float32Array {
  if (!s) return x;
  const d = s.mean.length;
  return x.map((v, i) => (v - s.mean[i % d]) / s.std[i % d]);
}

export class Session {
  readonly spec: MlpSpec;
  readonly classNames: string[];
  readonly standardization: Standardization | null;
  /** The data as the model sees it (standardized when the model standardizes). */
  readonly data: DataSplit;
  /** The boundary's pixel grid in raw input coordinates; null unless the data has 2 inputs. */
  readonly grid: BoundaryGrid | null;
  readonly history = new History();
  /** Class probabilities (grid pixels, classes) from the latest view refresh. */
  boundaryProbs: Float32Array | null = null;
  evaluations: { train: Evaluation | null; test: Evaluation | null } = { train: null, test: null };
  status: SessionStatus = 'building';
  /** Epochs the current run trains up to. */
  target = 0;
  /** Epochs per train() call, adapted to TIMING.chunkTargetMs. */
  chunk = 1;
  /** Training speed over the current run, epochs per second (NaN before the first chunk). */
  epochsPerSecond = NaN;
  /** How long the latest view refresh (boundary + evaluations) took, ms, and how many there were. */
  viewMs = NaN;
  viewRefreshes = 0;

  private handle: TrainerHandle | null = null;
  private options: TrainerOptions;
  private backend: 'gpu' | 'cpu';
  private queue: Promise<unknown> = Promise.resolve();
  private gridInputs: Float32Array | null = null;
  private lastViews = -Infinity;
  private runStarted = 0;
  private runEpochs = 0;
  private readonly init: Model | null;

  /**
   * A session on `split` (raw inputs) for `config`, starting from `init`'s parameters when given (its
   * architecture and standardization then win over config's). Call build() before anything else.
   */
  constructor(
    readonly split: DataSplit,
    readonly config: AppConfig,
    private readonly listener: SessionListener,
    /** The page's device (PageGpu.acquire), borrowed for the GPU trainer. */
    private readonly acquireGpu: () => Promise<GpuContext>,
    init: Model | null = null,
  ) {
    this.init = init;
    const { train } = split;
    const classes = Math.max(2, train.classes, split.test.classes);
    this.spec = init ? init.params.spec : { layers: [train.inputs, ...config.hidden, classes], activation: config.activation };
    validateSpec(this.spec);
    const modelName = init ? 'the loaded model' : `the model ${this.spec.layers.join('-')}`;
    checkDataFitsModel(split.train, this.spec, modelName);
    checkDataFitsModel(split.test, this.spec, modelName);
    const outputs = this.spec.layers[this.spec.layers.length - 1];
    this.classNames = init ? [...init.classNames] : Array.from({ length: outputs }, (_, c) => train.classNames[c] ?? String(c));
    this.standardization = init ? init.standardization : config.standardize ? fitStandardization(train) : null;
    this.data = this.standardization
      ? { train: applyStandardization(split.train, this.standardization), test: applyStandardization(split.test, this.standardization) }
      : split;
    this.grid = train.inputs === 2 ? boundaryGrid(train, BOUNDARY_RESOLUTION) : null;
    if (this.grid) this.gridInputs = standardizeInputs(this.grid.inputs, this.standardization);
    const params: MlpParams = init ? init.params : initParams(this.spec, config.seed);
    const startEpoch = init ? trainedEpochs(init) : 0;
    this.options = {
      params,
      train: this.data.train,
      test: this.data.test,
      optimizer: config.optimizer,
      batchSize: config.batchSize,
      shuffleSeed: config.seed,
      startEpoch,
    };
    this.backend = config.backend;
  }

  /** The optimizer and batch size training uses now (reconfigure() changes them). */
  get optimizer(): OptimizerConfig {
    return this.options.optimizer;
  }

  get batchSize(): number {
    return this.options.batchSize;
  }

  get trainer(): Trainer | null {
    return this.handle?.trainer ?? null;
  }

  get epochsDone(): number {
    return this.handle?.trainer.epochsDone ?? this.options.startEpoch ?? 0;
  }

  /** The adapter of the GPU the trainer runs on; null on the CPU. */
  get adapterName(): string | null {
    return this.handle?.context?.adapterName ?? null;
  }

  /** Whether that adapter emulates a GPU on the CPU (SwiftShader, llvmpipe, ...). */
  get adapterIsSoftware(): boolean {
    return this.handle?.context?.isSoftware ?? false;
  }

  get isLoaded(): boolean {
    return this.init !== null;
  }

  /** Creates the trainer and computes the first views. */
  async build(): Promise<void> {
    await this.exclusive(async () => {
      this.handle = await this.createHandle(this.options);
      await this.refreshViews();
    }).then(
      () => this.setStatus('ready'),
      (error: unknown) => this.fail(error),
    );
  }

  /** Trains until `epochs` more epochs are done, or resumes a paused run. */
  start(epochs: number): void {
    if (!this.handle || !['ready', 'paused', 'done'].includes(this.status)) return;
    if (this.status !== 'paused' || this.target <= this.epochsDone) this.target = this.epochsDone + epochs;
    this.runStarted = performance.now();
    this.runEpochs = 0;
    this.setStatus('running');
    void this.loop();
  }

  /** Stops after the chunk in flight; the views are then brought up to date. */
  pause(): void {
    if (this.status !== 'running') return;
    this.setStatus('paused');
    void this.exclusive(() => this.refreshViews()).catch((error: unknown) => this.fail(error));
  }

  /** Trains exactly one epoch (when not running) and updates every view. */
  async step(): Promise<void> {
    if (!this.handle || !['ready', 'paused', 'done'].includes(this.status)) return;
    await this.exclusive(async () => {
      await this.trainChunk(1);
      await this.refreshViews();
    }).catch((error: unknown) => this.fail(error));
  }

  /**
   * Continues from the current parameters with another optimizer, batch size or backend: the trainer is
   * rebuilt at the current epoch (optimizer moments start from zero, as in TrainerOptions.startEpoch).
   */
  async reconfigure(change: Reconfigurable): Promise<void> {
    await this.exclusive(async () => {
      if (!this.handle || this.status === 'disposed') return;
      const checkpoint = { epochsDone: this.handle.trainer.epochsDone, params: await this.handle.trainer.getParams() };
      const options: TrainerOptions = { ...this.options, params: checkpoint.params, startEpoch: checkpoint.epochsDone, optimizer: change.optimizer, batchSize: change.batchSize };
      const old = this.handle;
      this.handle = null;
      old.release();
      this.backend = change.backend;
      this.options = options;
      this.handle = await this.createHandle(options);
      this.chunk = 1;
    }).catch((error: unknown) => this.fail(error));
  }

  /** The model as model.json holds it (the CLI's format and training record). */
  async model(): Promise<Model> {
    return this.exclusive(async () => {
      const trainer = this.requireTrainer();
      const params = await trainer.getParams();
      const training = trainingRecord({
        split: this.split,
        spec: this.spec,
        optimizer: this.options.optimizer,
        batchSize: this.options.batchSize,
        seed: this.config.seed,
        standardized: this.standardization !== null,
        trainer,
        dataRecord: dataRecord(this.config.data),
        continuedFrom: this.init?.training,
      });
      return { params, classNames: this.classNames, standardization: this.standardization, training };
    });
  }

  /** Stops training and frees the trainer (and its GPU device). */
  async dispose(): Promise<void> {
    this.status = 'disposed';
    await this.exclusive(async () => {
      this.handle?.release();
      this.handle = null;
    }).catch(() => undefined);
  }

  private async loop(): Promise<void> {
    try {
      while (this.status === 'running' && this.epochsDone < this.target) {
        await this.exclusive(async () => {
          if (this.status === 'running') await this.trainChunk(Math.min(this.chunk, this.target - this.epochsDone));
        });
        await yieldToBrowser();
      }
      if (this.status === 'running') {
        await this.exclusive(() => this.refreshViews());
        this.setStatus('done');
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** Trains `epochs` epochs in one train() call; refreshes the views when they are due. */
  private async trainChunk(epochs: number): Promise<void> {
    const trainer = this.requireTrainer();
    const started = performance.now();
    let records;
    try {
      records = await trainer.train(epochs);
    } catch (error) {
      if (!(error instanceof GpuDeviceLostError)) throw error;
      this.continueOnCpu(trainer, error);
      return;
    }
    const now = performance.now();
    this.adaptChunk(epochs, now - started);
    this.history.append(records);
    if (this.status === 'running') {
      this.runEpochs += records.length;
      this.epochsPerSecond = (1000 * this.runEpochs) / Math.max(1, now - this.runStarted);
    }
    this.listener.history();
    const wait = Math.max(TIMING.viewRefreshMs, this.viewMs / TIMING.viewTimeShare);
    if (this.status === 'running' && now - this.lastViews >= wait) await this.refreshViews();
  }

  /** Next chunk size from the last one's time: aims at chunkTargetMs, at most doubling per chunk. */
  private adaptChunk(epochs: number, ms: number): void {
    const target = TIMING.chunkTargetMs[this.requireTrainer().backend];
    const ideal = ms > 0 ? (epochs * target) / ms : 2 * epochs;
    this.chunk = Math.max(1, Math.min(TIMING.maxChunkEpochs, Math.round(Math.min(ideal, 2 * Math.max(epochs, this.chunk)))));
  }

  /** Boundary probabilities on the grid and both evaluations, on the trainer's backend. */
  private async refreshViews(): Promise<void> {
    const trainer = this.requireTrainer();
    const started = performance.now();
    if (this.grid && this.gridInputs) this.boundaryProbs = await trainer.predict(this.gridInputs, this.grid.width * this.grid.height);
    const test = await trainer.evaluate(this.data.test);
    const train = await trainer.evaluate(this.data.train);
    this.evaluations = { train, test };
    this.lastViews = performance.now();
    this.viewMs = this.lastViews - started;
    this.viewRefreshes++;
    this.listener.views();
  }

  /** After a GPU device loss: the CPU trainer continues from the last parameters read back. */
  private continueOnCpu(trainer: Trainer, error: GpuDeviceLostError): void {
    const checkpoint = trainer.checkpoint();
    this.listener.notice(`${error.message}; continuing on the ${FAST_NETWORK.deviceName} from epoch ${checkpoint.epochsDone} (the last parameters read back)`, 'warn');
    try {
      this.handle?.release();
    } catch {
      // The lost device may refuse to be destroyed; it is gone either way.
    }
    const options: TrainerOptions = { ...this.options, params: checkpoint.params, startEpoch: checkpoint.epochsDone };
    const cpu = new FastCpuTrainer(options);
    this.options = options;
    this.backend = 'cpu';
    this.handle = { trainer: cpu, context: null, note: `${cpu.deviceName} (after a GPU device loss)`, release: () => cpu.dispose() };
    this.history.truncate(checkpoint.epochsDone);
    this.listener.history();
  }

  private async createHandle(options: TrainerOptions): Promise<TrainerHandle> {
    const handle = await createTrainer(options, { backend: this.backend === 'gpu' ? 'auto' : 'cpu', acquireGpu: this.acquireGpu });
    if (this.backend === 'gpu' && handle.trainer.backend === 'cpu') {
      this.listener.notice(noWebGpuMessage(handle.note.replace(/^backend auto chose cpu: /, '')), 'warn');
    }
    return handle;
  }

  private requireTrainer(): Trainer {
    if (!this.handle) throw new Error('the trainer is not built');
    return this.handle.trainer;
  }

  private setStatus(status: SessionStatus): void {
    if (this.status === 'disposed') return;
    this.status = status;
    this.listener.status(status);
  }

  private fail(error: unknown): void {
    if (this.status === 'disposed') return;
    this.setStatus('error');
    this.listener.notice(error instanceof Error ? error.message : String(error), 'error');
  }

  /** Runs `task` after every task queued before it: one use of the trainer at a time. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task);
    this.queue = result.catch(() => undefined);
    return result;
  }
}
