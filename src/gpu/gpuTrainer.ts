// The WebGPU backend of the Trainer interface: the whole training step in WGSL, proven against CpuTrainer
// (src/cpu/cpuTrainer.ts), which is its specification. Two paths, chosen in create() (settings.path):
//
// The fused path (shaders/fused.wgsl), for models whose parameters, gradients and optimizer state fit one
// workgroup's memory: one dispatch of one workgroup trains many epochs (every batch's forward, loss,
// backward and update, then the test set's loss) and writes each epoch's sums to the history buffer.
// train(K) puts ceil(K / epochsPerDispatch) dispatches in one submission per chunk of epochs and reads the
// history and the parameters back once: the assignment's 1000 epochs are one dispatch, one submission.
// The fused path also trains many runs of one shape side by side (createRuns, for sweeps): workgroup r
// trains run r, with its own parameters, optimizer settings and shuffle seed, on the shared data; every
// run computes exactly what a trainer of that run alone computes (the same code on the same numbers).
//
// The general path, any size. One training step, per chunk of the batch (one chunk unless the batch's
// activations exceed a binding): gatherBatch (mini-batches only; one per data segment), the forward per
// layer (bias and activation fused), softmaxCrossEntropyStats (loss, gradient and the batch's loss sums),
// then per layer from the last: below the last layer the input gradient fused with the activation
// derivative, and the weight and bias gradients fused with their optimizer update
// (matmulGradWeightsUpdate*: the layer's parameters are read for the last time by the input gradient
// just before). A batch too big for one row of gradient partial sums takes the unfused route instead:
// per layer the weight gradients (first pass of the reduction) and the input gradient, then one update
// over every parameter that does the second, fixed-order pass. At the end of an epoch: per test chunk the
// forward and softmaxCrossEntropyStats, then recordEpoch, which writes the epoch's sums into the history
// buffer. With L layers, one chunk and one data segment: 3L dispatches per full-batch step, 3L + 1 per
// mini-batch step; per epoch L + 2 more with a test set, 1 without. The 2-12-5 assignment: 6 per step,
// 10 per epoch.
//
// Host side: every buffer, sizes uniform and bind group of training is made once in create() (evaluate
// and predict make their few per call, and upload data other than the train and test sets per call).
// The general path encodes up to `stepsPerSubmit` steps per submission in one compute pass with one
// writeBuffer of their step records, and reads the history and the parameters back once per
// `readbackEvery` epochs through one staging buffer. Validation errors and device loss become thrown
// errors naming the adapter; after a device loss every method throws ctx.lostError.

import type { Dataset } from '../data/dataset.ts';
import type { OptimizerConfig } from '../cpu/optimizer.ts';
import { layerCount, type MlpParams, type MlpSpec } from '../model/mlp.ts';
import { confusionMatrix, summarize, type EpochRecord, type Evaluation } from '../train/metrics.ts';
import { effectiveBatchSize, type Checkpoint, type Trainer, type TrainerOptions } from '../train/trainer.ts';
import { BufferOwner, roundUp, UniformArena, UniformRecord } from './buffers.ts';
import { GpuDeviceLostError, GpuValidationError, loopIterationLimit, type GpuContext } from './device.ts';
import {
  ACTIVATION_CODES,
  chooseFusedVariant,
  forwardWorkgroups,
  fusedVariant,
  gradInputWorkgroups,
  gradWeightsUpdateWorkgroups,
  gradWeightsWorkgroups,
  grid1d,
  KERNEL_PROFILES,
  KernelLibrary,
  modelCopies,
  OPTIMIZER_CODES,
  STATS_BLOCK,
  STORAGE_BUFFERS_NEEDED,
  type ConstantName,
  type FusedVariant,
  type KernelName,
  type KernelProfile,
} from './kernels.ts';
import {
  adapterKind,
  autoPath,
  autoProfile,
  chunks,
  DEFAULT_GPU_TRAINER_SETTINGS,
  fusedDataLayout,
  fusedEpochWork,
  fusedIneligibility,
  gpuWorkgroupLanes,
  MAX_FUSED_LAYERS,
  planFused,
  planTraining,
  segmentSize,
  stateArrays,
  type Chunk,
  type FusedPlan,
  type GpuPath,
  type GpuTrainerSettings,
  type ParamLayout,
  type TrainingPlan,
} from './plan.ts';

/** One recorded dispatch: made once, encoded many times. */
interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: readonly [number, number, number];
}

type Resource = GPUBuffer | GPUBufferBinding | UniformRecord;
type Constants = Partial<Record<ConstantName, number>>;

/**
 * Collects dispatches whose sizes uniforms go into one UniformArena; build() writes the arena, then makes
 * the pipelines and bind groups.
 */
class ProgramBuilder {
  private readonly specs: { kernel: KernelName; constants: Constants; label: string; resources: Resource[]; workgroups: readonly number[] }[] = [];

  constructor(
    private readonly library: KernelLibrary,
    private readonly arena: UniformArena,
    readonly profile: KernelProfile,
  ) {}

  /** Adds a dispatch (constants: the profile's, plus `extra`: ACTIVATION, OPTIMIZER); returns its index in build()'s result. */
  add(kernel: KernelName, label: string, resources: Resource[], workgroups: readonly number[], extra: Constants = {}): number {
    this.specs.push({ kernel, constants: { ...this.profile.constants, ...extra }, label, resources, workgroups });
    return this.specs.length - 1;
  }

  async build(ctx: GpuContext, what: string): Promise<Dispatch[]> {
    const slots = this.specs.map((s) => s.resources.map((r) => (r instanceof UniformRecord ? this.arena.add(r) : -1)));
    this.arena.finish();
    const pipelines = await Promise.all(this.specs.map((s) => this.library.pipeline(s.kernel, s.constants)));
    return ctx.guarded(`${what}: bind groups`, () =>
      this.specs.map((s, i) => {
        const resources = s.resources.map((r, j) => (r instanceof UniformRecord ? this.arena.binding(slots[i][j]) : r));
        const [x, y = 1, z = 1] = s.workgroups;
        return { pipeline: pipelines[i], bindGroup: this.library.bindGroup(s.kernel, s.label, resources), workgroups: [x, y, z] as const };
      }),
    );
  }
}

/** A data set on the GPU: x (size, inputs) and y (size) in segments of `segment` samples, one buffer each. */
interface DeviceDataset {
  size: number;
  segment: number;
  x: GPUBuffer[];
  y: GPUBuffer[];
}

/** Uploads x (and y when given) in segments of `segment` samples. */
function uploadDataset(owner: BufferOwner, label: string, x: Float32Array, y: Uint32Array | null, size: number, inputs: number, segment: number): DeviceDataset {
  const data: DeviceDataset = { size, segment, x: [], y: [] };
  for (let start = 0, s = 0; start < size; start += segment, s++) {
    const end = Math.min(size, start + segment);
    data.x.push(owner.create(`${label} x[${s}]`, (end - start) * inputs * 4, GPUBufferUsage.STORAGE, x.subarray(start * inputs, end * inputs)));
    if (y) data.y.push(owner.create(`${label} y[${s}]`, (end - start) * 4, GPUBufferUsage.STORAGE, y.subarray(start, end)));
  }
  return data;
}

/** The binding of one chunk's rows of a segmented buffer with `words` 4-byte values per sample. */
function chunkBinding(buffers: GPUBuffer[], chunk: Chunk, words: number): GPUBufferBinding {
  return { buffer: buffers[chunk.segment], offset: chunk.segmentStart * words * 4, size: chunk.count * words * 4 };
}

/** Dispatches and queue submissions a trainer has made so far (for benchmarks). */
export interface WorkCounts {
  dispatches: number;
  submissions: number;
}

/** What may differ between the runs one fused trainer trains side by side (GpuTrainer.createRuns). */
export interface RunSettings {
  params: MlpParams;
  optimizer: OptimizerConfig;
  shuffleSeed: number;
}

/** Most runs one fused trainer holds (shaders/fused.wgsl MAX_FUSED_RUNS: the length of its run table). */
export const MAX_FUSED_RUNS = 256;
/** Bytes of one FusedRun record, and of the whole table. */
const FUSED_RUN_BYTES = 64;

let nextTrainerId = 1;

/** Of what is left of a chunk's expected duration once it is submitted, the part train() sleeps through before waiting on the readback. */
export const IDLE_FRACTION = 0.75;
/** Shorter waits are not worth a timer. */
const MIN_IDLE_MS = 4;
/** A map that resolves this soon after a sleep found the work done before the sleep ended. */
const OVERSLEPT_WAIT_MS = 1;

/**
 * How long train() sleeps before asking for a chunk's readback: Dawn's Node bindings poll a pending map
 * with setImmediate, which keeps a CPU core busy for the whole wait, and on a software adapter that core
 * is one the emulated GPU could have used. The sleep is IDLE_FRACTION of what is left, once the readback
 * is submitted, of the time the chunk is expected to take, from the last chunk's time per epoch, with
 * three guards against sleeping past the work, each a bug seen on the software adapters:
 *   - none after a submission that took half the expected time or more: the adapter ran the work inside
 *     queue.submit (llvmpipe through OpenGL ES does), nothing is left to run. (Sleeping there anyway,
 *     counted from before the submission, made each chunk take its work plus 0.75 of the last chunk's
 *     time: 1 / (1 - 0.75) = 4 times the work in the end, W2 on llvmpipe 155-192 instead of 47 ms.)
 *   - a chunk of more epochs than the last one measured is expected to take no longer than that one (its
 *     time per epoch carries the fixed cost of a readback, so scaling it up overshoots: 1000 fused epochs
 *     after a 2-epoch chunk slept tens of seconds on SwiftShader).
 *   - a chunk whose map resolved at once after the sleep (the work was done before the sleep ended) sets
 *     the next expectation to half its time, not all of it (its time is mostly the sleep).
 */
export class ReadbackPacer {
  private msPerEpoch = 0;
  private lastEpochs = 0;

  /** Milliseconds to sleep for a chunk of `epochs`, `elapsedMs` after it started, its readback's submission having taken `submitMs`. */
  idleMs(epochs: number, elapsedMs: number, submitMs: number): number {
    const expectedMs = this.msPerEpoch * Math.min(epochs, this.lastEpochs);
    if (submitMs >= expectedMs / 2) return 0;
    const idle = IDLE_FRACTION * (expectedMs - elapsedMs);
    return idle >= MIN_IDLE_MS ? idle : 0;
  }

  /** Records a chunk: its epochs, its wall time, the time it slept and the time it then waited for the map. */
  record(epochs: number, chunkMs: number, sleptMs: number, waitMs: number): void {
    const overslept = sleptMs > 0 && waitMs < OVERSLEPT_WAIT_MS;
    this.msPerEpoch = ((overslept ? 0.5 : 1) * chunkMs) / epochs;
    this.lastEpochs = epochs;
  }
}

export class GpuTrainer implements Trainer {
  readonly backend = 'gpu' as const;
  readonly deviceName: string;
  /** Which path trains (settings.path, or what `auto` chose). */
  readonly path: GpuPath;
  /** Compute dispatches per epoch when training in whole chunks (fused: 1 / epochs per dispatch). */
  readonly dispatchesPerEpoch: number;
  /** Queue submissions per epoch when training in whole chunks (the readback's included). */
  readonly submissionsPerEpoch: number;
  private epochs = 0;
  private steps = 0;
  /**
   * Parameters last read back, per run: every train() chunk reads them back with its history, so they
   * always belong to `epochs` (a chunk that fails advances neither).
   */
  private hostParams: MlpParams[];
  private disposed = false;
  /** Public methods run one at a time (they share the staging buffer and the step records). */
  private queue: Promise<unknown> = Promise.resolve();
  private staging: GPUBuffer | null = null;
  private readonly counts: WorkCounts = { dispatches: 0, submissions: 0 };
  /** How long train() chunks sleep before their readback. */
  private readonly pacer = new ReadbackPacer();

  private constructor(
    private readonly ctx: GpuContext,
    private readonly options: TrainerOptions,
    private readonly settings: GpuTrainerSettings,
    readonly plan: TrainingPlan,
    /** The kernel versions of the general path, and of evaluate() and predict() on both (KERNEL_PROFILES). */
    readonly profile: KernelProfile,
    private readonly owner: BufferOwner,
    private readonly library: KernelLibrary,
    private readonly b: TrainerBuffers,
    private readonly programs: Programs | null,
    /** The fused path's program (null on the general path). */
    private readonly fusedProgram: FusedProgram | null,
    /** The runs trained side by side (one, options', except on the fused path of createRuns). */
    private readonly runs: readonly RunSettings[],
  ) {
    this.path = fusedProgram ? 'fused' : 'general';
    const mode = `WebGPU${ctx.featureLevel === 'compatibility' ? ' compatibility mode' : ''}`;
    const what = fusedProgram ? `fused path, ${describeFused(fusedProgram.variant)}` : `general path, ${profile.name} kernels`;
    this.deviceName = `${ctx.adapterName} (${mode}, ${what})`;
    this.hostParams = runs.map((r) => copyParams(r.params));
    // A continued run resumes epoch numbering, shuffling and Adam's step count (as CpuTrainer does).
    this.epochs = options.startEpoch ?? 0;
    this.steps = this.epochs * plan.steps;
    if (fusedProgram) {
      const { epochsPerDispatch, chunkEpochs } = fusedProgram.plan;
      this.dispatchesPerEpoch = Math.ceil(chunkEpochs / epochsPerDispatch) / chunkEpochs;
      this.submissionsPerEpoch = 1 / chunkEpochs;
    } else {
      const p = programs!;
      const steps = plan.steps;
      this.dispatchesPerEpoch = (steps - 1) * p.fullBatch.length + p.lastBatch.length + steps * p.update.length + p.test.length + p.record.length;
      // A submission per stepsPerSubmit steps, and the readback's.
      this.submissionsPerEpoch = (Math.floor((settings.readbackEvery * steps) / settings.stepsPerSubmit) + 1) / settings.readbackEvery;
    }
  }

  /**
   * A trainer on `ctx` (which it uses but does not own: dispose() leaves the device alive). Uploads the
   * data sets and parameters, makes every buffer, pipeline and bind group.
   */
  static create(ctx: GpuContext, options: TrainerOptions, settings: Partial<GpuTrainerSettings> = {}): Promise<GpuTrainer> {
    return GpuTrainer.createRuns(ctx, options, [{ params: options.params, optimizer: options.optimizer, shuffleSeed: options.shuffleSeed }], settings);
  }

  /**
   * A fused trainer of several runs of one shape, side by side in the same dispatches (one workgroup each):
   * `options` gives the shared data, batch size and start epoch; each run its own parameters (the same
   * layers and activation), optimizer (the same kind) and shuffle seed. The fused path is required (a
   * PlanError says why a model does not fit). The Trainer methods act on run 0; trainRuns, and the `run`
   * argument of evaluate, predict, getParams and checkpoint, reach the others.
   */
  static async createRuns(ctx: GpuContext, options: TrainerOptions, runs: readonly RunSettings[], settings: Partial<GpuTrainerSettings> = {}): Promise<GpuTrainer> {
    ctx.check();
    if (runs.length < 1 || runs.length > MAX_FUSED_RUNS) throw new Error(`GpuTrainer: 1 to ${MAX_FUSED_RUNS} runs per trainer, got ${runs.length}`);
    const first = runs[0];
    options = { ...options, params: first.params, optimizer: first.optimizer, shuffleSeed: first.shuffleSeed };
    runs.forEach((r, i) => {
      const what = `run ${i + 1}`;
      if (r.params.spec.activation !== first.params.spec.activation || r.params.spec.layers.join(',') !== first.params.spec.layers.join(',')) {
        throw new Error(`GpuTrainer: ${what} has layers [${r.params.spec.layers.join(',')}] ${r.params.spec.activation}, run 1 [${first.params.spec.layers.join(',')}] ${first.params.spec.activation}; runs side by side share their shape`);
      }
      if (r.optimizer.kind !== first.optimizer.kind) throw new Error(`GpuTrainer: ${what} uses ${r.optimizer.kind}, run 1 ${first.optimizer.kind}; runs side by side share the optimizer kind`);
    });
    const all: GpuTrainerSettings = { ...DEFAULT_GPU_TRAINER_SETTINGS, ...settings };
    const { params, train, test } = options;
    const { layers } = params.spec;
    for (const data of test ? [train, test] : [train]) {
      if (data.inputs !== layers[0]) throw new Error(`${data.name}: ${data.inputs} inputs per sample, but the model takes ${layers[0]}`);
      if (data.classes > layers[layers.length - 1]) throw new Error(`${data.name}: ${data.classes} classes, but the model has ${layers[layers.length - 1]} outputs`);
    }
    if (!Number.isInteger(all.readbackEvery) || all.readbackEvery < 1) throw new Error(`readbackEvery must be a positive integer, got ${all.readbackEvery}`);
    if (!Number.isInteger(all.stepsPerSubmit) || all.stepsPerSubmit < 1) throw new Error(`stepsPerSubmit must be a positive integer, got ${all.stepsPerSubmit}`);
    if (!['auto', 'fused', 'general'].includes(all.path)) throw new Error(`path must be auto, fused or general, got ${String(all.path)}`);
    if (runs.length > 1 && all.path === 'general') throw new Error(`GpuTrainer: ${runs.length} runs side by side need the fused path, not general`);
    const limits = ctx.device.limits;
    if (limits.maxStorageBuffersPerShaderStage < STORAGE_BUFFERS_NEEDED) {
      throw new GpuValidationError(`${ctx.adapterName}: the kernels bind ${STORAGE_BUFFERS_NEEDED} storage buffers, the device allows ${limits.maxStorageBuffersPerShaderStage}`);
    }
    const batchSize = effectiveBatchSize(options.batchSize, train.size);
    const profile = all.kernels === 'auto' ? autoProfile(adapterKind(ctx.adapterName, ctx.isSoftware), params.spec, train.size) : KERNEL_PROFILES[all.kernels];
    const plan = planTraining(params.spec, train.size, test?.size ?? 0, batchSize, limits, all, profile.constants.TILE);
    const fused = choosePath(ctx, options, plan, runs.length > 1 ? { ...all, path: 'fused' } : all, runs.length);
    const owner = new BufferOwner(ctx.device, `GpuTrainer#${nextTrainerId++}`);
    try {
      const library = KernelLibrary.for(ctx);
      const buffers = makeBuffers(ctx, owner, options, plan, all, fused?.plan ?? null, runs);
      if (fused) {
        const program = await buildFusedProgram(ctx, library, options, plan, fused.plan, fused.variant, buffers);
        return new GpuTrainer(ctx, options, all, plan, profile, owner, library, buffers, null, program, runs);
      }
      const programs = await buildPrograms(ctx, new ProgramBuilder(library, new UniformArena(owner, 'sizes', limits.minUniformBufferOffsetAlignment), profile), options, plan, buffers);
      return new GpuTrainer(ctx, options, all, plan, profile, owner, library, buffers, programs, null, runs);
    } catch (error) {
      owner.destroyAll();
      throw error;
    }
  }

  get epochsDone(): number {
    return this.epochs;
  }

  /** Buffers this trainer holds now. */
  get bufferCount(): number {
    return this.owner.count;
  }

  /** Dispatches and submissions made so far. */
  get workDone(): Readonly<WorkCounts> {
    return { ...this.counts };
  }

  /** The fused path's layout and kernel version (null on the general path). */
  get fusedPlan(): (FusedPlan & { variant: FusedVariant }) | null {
    return this.fusedProgram ? { ...this.fusedProgram.plan, variant: this.fusedProgram.variant } : null;
  }

  /** Runs trained side by side (1 unless made by createRuns). */
  get runCount(): number {
    return this.runs.length;
  }

  /** Trains every run `epochs` more epochs; run 0's records (trainRuns returns every run's). */
  async train(epochs: number): Promise<EpochRecord[]> {
    return (await this.trainRuns(epochs))[0];
  }

  /** Trains every run `epochs` more epochs; per run, one record per epoch. */
  trainRuns(epochs: number): Promise<EpochRecord[][]> {
    return this.exclusive(async () => {
      if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`train: epochs must be a non-negative integer, got ${epochs}`);
      const chunk = this.fusedProgram ? this.fusedProgram.plan.chunkEpochs : this.settings.readbackEvery;
      const records: EpochRecord[][] = this.runs.map(() => []);
      for (let done = 0; done < epochs; ) {
        const count = Math.min(chunk, epochs - done);
        const chunkRecords = await (this.fusedProgram ? this.trainFused(this.fusedProgram, count) : this.trainEpochs(this.programs!, count));
        chunkRecords.forEach((r, i) => records[i].push(...r));
        done += count;
      }
      return records;
    });
  }

  /** General path: encodes `count` epochs (count <= readbackEvery), then reads their history and the parameters back. */
  private async trainEpochs(programs: Programs, count: number): Promise<EpochRecord[][]> {
    const started = performance.now();
    const { plan, options } = this;
    const b = this.b;
    const g = b.general!;
    const o = options.optimizer;
    const stride = g.stepStride;
    const records = new DataView(new ArrayBuffer((this.settings.stepsPerSubmit + 1) * stride));
    let encoder = this.ctx.device.createCommandEncoder({ label: 'train' });
    let pass = encoder.beginComputePass({ label: 'train steps' });
    let pending = 0;
    let steps = this.steps;
    const flush = () => {
      pass.end();
      this.ctx.device.queue.writeBuffer(g.stepRecords, stride, records.buffer, stride, pending * stride);
      this.ctx.device.queue.submit([encoder.finish({ label: 'train steps' })]);
      this.counts.submissions++;
      encoder = this.ctx.device.createCommandEncoder({ label: 'train' });
      pass = encoder.beginComputePass({ label: 'train steps' });
      pending = 0;
    };
    const encode = (dispatches: readonly Dispatch[]) => {
      encodeAll(pass, dispatches);
      this.counts.dispatches += dispatches.length;
    };
    await this.ctx.guarded(`train: epochs ${this.epochs + 1}..${this.epochs + count}`, () => {
      for (let e = 0; e < count; e++) {
        for (let k = 0; k < plan.steps; k++) {
          const last = k === plan.steps - 1;
          steps++;
          const slot = ++pending;
          const at = slot * stride;
          records.setUint32(at, this.epochs + e, true);
          records.setUint32(at + 4, k * plan.batchSize, true);
          records.setUint32(at + 8, last ? plan.lastBatchSize : plan.batchSize, true);
          records.setUint32(at + 12, k * plan.statsPerBatch, true);
          records.setUint32(at + 16, e, true);
          records.setFloat32(at + 20, 1 - o.beta1 ** steps, true);
          records.setFloat32(at + 24, 1 - o.beta2 ** steps, true);
          pass.setBindGroup(1, g.stepBindGroup, [at]);
          encode(last ? programs.lastBatch : programs.fullBatch);
          encode(programs.update);
          if (last) {
            if (programs.test.length > 0) {
              pass.setBindGroup(1, g.stepBindGroup, [0]);
              encode(programs.test);
              pass.setBindGroup(1, g.stepBindGroup, [at]);
            }
            encode(programs.record);
          }
          if (pending === this.settings.stepsPerSubmit) flush();
        }
      }
      pass.end();
      if (pending > 0) this.ctx.device.queue.writeBuffer(g.stepRecords, stride, records.buffer, stride, pending * stride);
    });
    return this.finishChunk(encoder, count, steps, started);
  }

  /**
   * Fused path: `count` epochs (count <= chunkEpochs) in ceil(count / epochsPerDispatch) dispatches of one
   * submission, then the history and the parameters read back.
   */
  private async trainFused(program: FusedProgram, count: number): Promise<EpochRecord[][]> {
    const started = performance.now();
    const { plan } = this;
    const f = this.b.fused!;
    const perDispatch = program.plan.epochsPerDispatch;
    const dispatches = Math.ceil(count / perDispatch);
    const stride = f.recordStride;
    const records = new DataView(new ArrayBuffer(dispatches * stride));
    for (let d = 0; d < dispatches; d++) {
      const first = d * perDispatch;
      records.setUint32(d * stride, this.epochs + first, true);
      records.setUint32(d * stride + 4, Math.min(perDispatch, count - first), true);
      records.setUint32(d * stride + 8, first, true);
      records.setUint32(d * stride + 12, first * plan.steps, true);
      records.setUint32(d * stride + 16, 0, true);
    }
    const what = `train: epochs ${this.epochs + 1}..${this.epochs + count}`;
    const encoder = this.ctx.device.createCommandEncoder({ label: 'train fused' });
    await this.ctx.guarded(what, () => {
      const { queue } = this.ctx.device;
      queue.writeBuffer(f.records, 0, records.buffer);
      if (this.options.optimizer.kind === 'adam') {
        // Bias corrections of every step of the chunk, per run, from float64 (as the general path's step records).
        const table = new Float32Array(2 * f.correctionStride * this.runs.length);
        this.runs.forEach(({ optimizer: o }, r) => {
          for (let j = 0; j < count * plan.steps; j++) {
            const t = this.steps + 1 + j;
            table[2 * (r * f.correctionStride + j)] = 1 - o.beta1 ** t;
            table[2 * (r * f.correctionStride + j) + 1] = 1 - o.beta2 ** t;
          }
        });
        queue.writeBuffer(f.corrections, 0, table);
      }
      const pass = encoder.beginComputePass({ label: 'train fused' });
      pass.setPipeline(program.pipeline);
      pass.setBindGroup(0, program.bindGroup);
      for (let d = 0; d < dispatches; d++) {
        pass.setBindGroup(1, f.recordBindGroup, [d * stride]);
        pass.dispatchWorkgroups(this.runs.length);
      }
      pass.end();
      this.counts.dispatches += dispatches;
    });
    return this.finishChunk(encoder, count, this.steps + count * plan.steps, started);
  }

  /**
   * Reads back the chunk's `count` history records and the parameters; advances the epoch and step counts.
   * Sleeps first as long as the pacer says (ReadbackPacer).
   */
  private async finishChunk(encoder: GPUCommandEncoder, count: number, steps: number, started: number): Promise<EpochRecord[][]> {
    const { plan, options, b } = this;
    const P = plan.params.count;
    const R = this.runs.length;
    // Run r's history starts at record r * historyStride, its model at word r * modelStride.
    const historyBytes = ((R - 1) * b.historyStride + count) * 16;
    const modelWords = (R - 1) * b.modelStride + P;
    let sleptMs = 0;
    let mapFrom = 0;
    const bytes = await this.readback(
      encoder,
      `train: epochs ${this.epochs + 1}..${this.epochs + count}`,
      [
        [b.history, historyBytes],
        [b.params, modelWords * 4],
      ],
      0,
      async (submitMs) => {
        sleptMs = this.pacer.idleMs(count, performance.now() - started, submitMs);
        if (sleptMs > 0) await new Promise((resolve) => setTimeout(resolve, sleptMs));
        mapFrom = performance.now();
      },
    );
    const now = performance.now();
    this.pacer.record(count, now - started, sleptMs, now - mapFrom);
    const models = new Float32Array(bytes, roundUp(historyBytes, 4), modelWords);
    this.hostParams = this.runs.map((_, r) => this.unpack(models.subarray(r * b.modelStride, r * b.modelStride + P)));
    const trainSize = options.train.size;
    const testSize = options.test?.size ?? 0;
    const out = this.runs.map((_, r) => {
      const history = new DataView(bytes, r * b.historyStride * 16, count * 16);
      const records: EpochRecord[] = [];
      for (let e = 0; e < count; e++) {
        records.push({
          epoch: this.epochs + e + 1,
          trainLoss: history.getFloat32(16 * e, true) / trainSize,
          trainAccuracy: history.getUint32(16 * e + 4, true) / trainSize,
          testLoss: testSize > 0 ? history.getFloat32(16 * e + 8, true) / testSize : NaN,
          testAccuracy: testSize > 0 ? history.getUint32(16 * e + 12, true) / testSize : NaN,
        });
      }
      return records;
    });
    this.epochs += count;
    this.steps = steps;
    return out;
  }

  /**
   * The gradient of the mean loss over the first batch of the next epoch at the current parameters, and
   * nothing updated: what the gradient checks compare with the float64 CPU oracle.
   */
  batchGradients(): Promise<MlpParams> {
    return this.exclusive(async () => {
      const { b, plan } = this;
      const P = plan.params.count;
      const encoder = this.ctx.device.createCommandEncoder({ label: 'batch gradients' });
      const pass = encoder.beginComputePass({ label: 'batch gradients' });
      let source: GPUBuffer;
      let offset = 0;
      if (this.fusedProgram) {
        const f = b.fused!;
        this.ctx.device.queue.writeBuffer(f.records, 0, new UniformRecord().u32(this.epochs).u32(0).u32(0).u32(0).u32(1).data);
        pass.setPipeline(this.fusedProgram.pipeline);
        pass.setBindGroup(0, this.fusedProgram.bindGroup);
        pass.setBindGroup(1, f.recordBindGroup, [0]);
        pass.dispatchWorkgroups(1);
        source = b.params;
        offset = P * 4;
      } else {
        const g = b.general!;
        const stride = g.stepStride;
        const record = new UniformRecord().u32(this.epochs).u32(0).u32(plan.batchSize).u32(0).u32(0).f32(1).f32(1);
        this.ctx.device.queue.writeBuffer(g.stepRecords, stride, record.data);
        pass.setBindGroup(1, g.stepBindGroup, [stride]);
        encodeAll(pass, this.programs!.gradient);
        encodeAll(pass, this.programs!.sumGradients);
        source = g.grads;
      }
      pass.end();
      const bytes = await this.readback(encoder, 'batch gradients', [[source, P * 4, offset]]);
      return this.unpack(new Float32Array(bytes, 0, P));
    });
  }

  /** Loss, accuracy and confusion matrix of run `run`'s current parameters on a data set. */
  evaluate(data: Dataset, run = 0): Promise<Evaluation> {
    return this.exclusive(async () => {
      const { layers } = this.options.params.spec;
      const classes = layers[layers.length - 1];
      if (data.inputs !== layers[0]) throw new Error(`${data.name}: ${data.inputs} inputs per sample, but the model takes ${layers[0]}`);
      if (data.classes > classes) throw new Error(`${data.name}: ${data.classes} classes, but the model has ${classes} outputs`);
      const bytes = await this.infer(data.x, data, data.size, 'evaluate', run);
      const results = new DataView(bytes, 0, data.size * 8);
      const predicted = new Uint32Array(data.size);
      let lossSum = 0;
      for (let s = 0; s < data.size; s++) {
        lossSum += results.getFloat32(8 * s, true);
        predicted[s] = results.getUint32(8 * s + 4, true);
      }
      return summarize(lossSum, confusionMatrix(predicted, data.y, classes));
    });
  }

  /** Class probabilities of run `run`'s model. */
  predict(x: Float32Array, n: number, run = 0): Promise<Float32Array> {
    return this.exclusive(async () => {
      const { layers } = this.options.params.spec;
      if (x.length < n * layers[0]) throw new Error(`predict: x holds ${x.length} values, fewer than ${n} samples x ${layers[0]} inputs`);
      const bytes = await this.infer(x, null, n, 'predict', run);
      return new Float32Array(bytes, 0, n * layers[layers.length - 1]).slice();
    });
  }

  /**
   * Forward over n samples in chunks; with labels, the loss kernel's per-sample results (loss, argmax),
   * else the softmax probabilities, read back in sample order. The train and test sets use their resident
   * buffers; other data is uploaded into buffers that live for this call only.
   */
  private async infer(x: Float32Array, labelled: Dataset | null, n: number, what: string, run: number): Promise<ArrayBuffer> {
    const { plan, options, b } = this;
    const params = this.paramsBinding(run);
    const { layers } = options.params.spec;
    const last = layers.length - 2;
    const classes = layers[last + 1];
    const temp = new BufferOwner(this.ctx.device, `${this.owner.prefix} ${what}`);
    try {
      const resident = labelled === options.train ? b.train : labelled && labelled === options.test ? b.test : null;
      const data = resident ?? uploadDataset(temp, what, x, labelled?.y ?? null, n, layers[0], segmentSize(n, layers[0], plan.bindingBytes, plan.inferChunk));
      const builder = new ProgramBuilder(this.library, new UniformArena(temp, `${what} sizes`, this.ctx.device.limits.minUniformBufferOffsetAlignment), this.profile);
      const loss = this.profile.constants.LOSS_WORKGROUP;
      const parts = chunks(n, data.segment, plan.inferChunk).map((c) => {
        const input = chunkBinding(data.x, c, layers[0]);
        const forward = addForward(builder, b, params, options.params.spec, plan.params, input, c.count, `${what} chunk ${c.start}`);
        const tail = labelled
          ? builder.add('softmaxCrossEntropy', `${what} loss ${c.start}`, [b.results, b.dZ[last], b.z[last], chunkBinding(data.y, c, 1), lossSizes(c.count, classes, 1)], grid1d(c.count, loss))
          : builder.add('softmax', `${what} softmax ${c.start}`, [b.probs, b.z[last], lossSizes(c.count, classes, 0)], grid1d(c.count, loss));
        return { chunk: c, indices: [...forward, tail] };
      });
      const dispatches = await builder.build(this.ctx, what);
      const rowBytes = labelled ? 8 : classes * 4;
      const staging = this.stagingFor(n * rowBytes);
      const encoder = this.ctx.device.createCommandEncoder({ label: what });
      for (const { chunk, indices } of parts) {
        const pass = encoder.beginComputePass({ label: `${what} chunk ${chunk.start}` });
        encodeAll(pass, indices.map((i) => dispatches[i]));
        pass.end();
        encoder.copyBufferToBuffer(labelled ? b.results : b.probs, 0, staging, chunk.start * rowBytes, chunk.count * rowBytes);
      }
      return await this.readback(encoder, what, [], n * rowBytes);
    } finally {
      temp.destroyAll();
    }
  }

  /** A copy of run `run`'s current parameters. */
  getParams(run = 0): Promise<MlpParams> {
    return this.exclusive(async () => {
      const P = this.plan.params.count;
      const encoder = this.ctx.device.createCommandEncoder({ label: 'get params' });
      const bytes = await this.readback(encoder, 'getParams', [[this.b.params, P * 4, this.runIndex(run) * this.b.modelStride * 4]]);
      this.hostParams[run] = this.unpack(new Float32Array(bytes, 0, P));
      return copyParams(this.hostParams[run]);
    });
  }

  checkpoint(run = 0): Checkpoint {
    return { epochsDone: this.epochs, params: copyParams(this.hostParams[this.runIndex(run)]) };
  }

  /** `run`, checked. */
  private runIndex(run: number): number {
    if (!Number.isInteger(run) || run < 0 || run >= this.runs.length) throw new RangeError(`GpuTrainer: run ${run} does not exist (runs 0..${this.runs.length - 1})`);
    return run;
  }

  /** Run `run`'s packed parameters as a binding (offsets are multiples of the storage offset alignment). */
  private paramsBinding(run: number): GPUBufferBinding {
    return { buffer: this.b.params, offset: this.runIndex(run) * this.b.modelStride * 4, size: this.plan.params.count * 4 };
  }

  /** Destroys every buffer of the trainer (not the device: the caller owns the GpuContext). */
  dispose(): void {
    this.disposed = true;
    this.staging = null;
    this.owner.destroyAll();
  }

  /** Runs `fn` after every earlier call has finished; refuses after dispose() or a device loss. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.disposed) throw new Error('GpuTrainer: used after dispose()');
      if (this.ctx.lostError) throw this.ctx.lostError;
      return fn();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The staging buffer, grown (never shrunk) to at least `bytes`. */
  private stagingFor(bytes: number): GPUBuffer {
    if (!this.staging || this.staging.size < bytes) {
      if (this.staging) this.owner.destroy(this.staging);
      this.staging = this.owner.create('staging', Math.max(bytes, 4096), GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    }
    return this.staging;
  }

  /**
   * Copies `copies` ([buffer, bytes, source offset]) into the staging buffer one after another at 4-byte
   * aligned offsets, after the first `written` bytes the encoder already copied there; submits, runs
   * `beforeMap` (given how long the submission took), waits for the map, and returns those bytes.
   */
  private async readback(encoder: GPUCommandEncoder, what: string, copies: [GPUBuffer, number, number?][], written = 0, beforeMap?: (submitMs: number) => Promise<void>): Promise<ArrayBuffer> {
    let total = roundUp(written, 4);
    const offsets = copies.map(([, size]) => {
      const at = total;
      total = roundUp(total + size, 4);
      return at;
    });
    const staging = this.stagingFor(total);
    copies.forEach(([buffer, size, from = 0], i) => encoder.copyBufferToBuffer(buffer, from, staging, offsets[i], size));
    let submitMs = 0;
    await this.ctx.guarded(what, () => {
      const commands = encoder.finish({ label: what });
      const before = performance.now();
      this.ctx.device.queue.submit([commands]);
      submitMs = performance.now() - before;
    });
    this.counts.submissions++;
    await beforeMap?.(submitMs);
    const mapped = roundUp(Math.max(total, 4), 8);
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, mapped);
    } catch (error) {
      throw await this.failure(what, error);
    }
    try {
      return staging.getMappedRange(0, mapped).slice(0);
    } finally {
      staging.unmap();
      this.ctx.check();
    }
  }

  /** The error to throw when a readback failed: the device loss when that was the cause. */
  private async failure(what: string, error: unknown): Promise<Error> {
    if (this.disposed) return new Error(`GpuTrainer: ${what} interrupted by dispose()`);
    // mapAsync rejects as soon as the device is lost; device.lost may resolve a moment later.
    await Promise.race([this.ctx.device.lost, new Promise((resolve) => setTimeout(resolve, 2000))]);
    if (this.ctx.lostError) return this.ctx.lostError;
    const message = error instanceof Error ? error.message : String(error);
    return new GpuDeviceLostError(`${what} on ${this.ctx.adapterName}: reading results back failed: ${message}`);
  }

  /** Packed parameters (all weights, then all biases) to MlpParams. */
  private unpack(packed: Float32Array): MlpParams {
    const { spec } = this.options.params;
    const { weightOffsets, biasOffsets } = this.plan.params;
    const weights: Float32Array[] = [];
    const biases: Float32Array[] = [];
    for (let l = 0; l < layerCount(spec); l++) {
      const out = spec.layers[l + 1];
      const inSize = spec.layers[l];
      weights.push(packed.slice(weightOffsets[l], weightOffsets[l] + out * inSize));
      biases.push(packed.slice(biasOffsets[l], biasOffsets[l] + out));
    }
    return { spec, weights, biases };
  }
}

function copyParams(p: MlpParams): MlpParams {
  return { spec: p.spec, weights: p.weights.map((w) => Float32Array.from(w)), biases: p.biases.map((b) => Float32Array.from(b)) };
}

function encodeAll(pass: GPUComputePassEncoder, dispatches: readonly Dispatch[]): void {
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
  }
}

function describeFused(variant: FusedVariant): string {
  return variant.name === 'serial' ? 'serial kernel' : `${variant.name} kernel, ${variant.lanes} invocations`;
}

/**
 * The fused path's plan and kernel version when it trains, or null for the general path: `fused` forced
 * (a PlanError naming the limit when it does not fit), or what `auto` picks for this adapter's kind
 * (src/gpu/plan.ts autoPath: the fused path when it fits and an epoch's work is at most the measured
 * crossover of the kind, FUSED_MAX_EPOCH_WORK, or the fusedMaxEpochWork setting).
 */
function choosePath(ctx: GpuContext, options: TrainerOptions, plan: TrainingPlan, settings: GpuTrainerSettings, runs: number): { plan: FusedPlan; variant: FusedVariant } | null {
  if (settings.path === 'general') return null;
  const { spec } = options.params;
  const testSize = options.test?.size ?? 0;
  const kind = options.optimizer.kind;
  // GPUSupportedLimits are getters on the prototype: copied one by one.
  const { maxComputeWorkgroupStorageSize, maxComputeInvocationsPerWorkgroup, maxStorageBufferBindingSize, maxBufferSize } = ctx.device.limits;
  const limits = { maxComputeWorkgroupStorageSize, maxComputeInvocationsPerWorkgroup, maxStorageBufferBindingSize, maxBufferSize, maxLoopIterations: loopIterationLimit(ctx) };
  let variant = settings.fusedVariant === 'auto' ? chooseFusedVariant(ctx) : fusedVariant(ctx, settings.fusedVariant, settings.fusedLanes);
  if (variant.name === 'workgroup' && settings.fusedLanes === 0 && !ctx.isSoftware) {
    variant = { ...variant, lanes: gpuWorkgroupLanes(spec, kind, Math.max(plan.batchSize, testSize), limits) };
  }
  if (settings.path === 'auto') {
    const ineligible = fusedIneligibility(spec, plan.trainSize, testSize, plan.batchSize, kind, variant, limits, settings);
    if (autoPath(adapterKind(ctx.adapterName, ctx.isSoftware), fusedEpochWork(spec, plan.trainSize, testSize), ineligible, settings) === 'general') return null;
  }
  return { plan: planFused(spec, plan.trainSize, testSize, plan.batchSize, kind, variant, limits, settings, runs), variant };
}

/** Every buffer a trainer holds. Shapes in samples: C = plan.capacity, Ct = plan.trainChunk. */
interface TrainerBuffers {
  train: DeviceDataset;
  test: DeviceDataset | null;
  /**
   * Packed parameters (P): all weights, then all biases. On the fused path the model buffer: params (P),
   * gradients (P, for batchGradients), optimizer state (stateWords).
   */
  params: GPUBuffer;
  /** Per layer l: z, a, dZ (C, layers[l+1]): the general path's training, and evaluate/predict on both. */
  z: GPUBuffer[];
  a: GPUBuffer[];
  dZ: GPUBuffer[];
  /** Per-sample (loss, argmax) (C); probabilities (C, classes). */
  results: GPUBuffer;
  probs: GPUBuffer;
  /** EpochStats (history capacity: readbackEvery, or the fused chunk, per run). */
  history: GPUBuffer;
  /** Words from one run's model to the next's, and records from one run's history to the next's. */
  modelStride: number;
  historyStride: number;
  general: GeneralBuffers | null;
  fused: FusedBuffers | null;
}

/** The general path's own buffers. */
interface GeneralBuffers {
  /** The summed gradient (P), for batchGradients. */
  grads: GPUBuffer;
  /** Optimizer state: velocity, or Adam's m at word 0 and v at word stateStride (16 bytes for gd). */
  state: GPUBuffer;
  stateStride: number;
  /** Gradient partial sums (gradRows, P). */
  partial: GPUBuffer;
  /** Mini-batches: the gathered batch x (Ct, inputs), y (Ct). */
  batchX: GPUBuffer | null;
  batchY: GPUBuffer | null;
  /** Loss statistics: (steps * statsPerBatch) for training, (testBlocks) for the test set. */
  trainStats: GPUBuffer;
  testStats: GPUBuffer;
  /** Step records (stepsPerSubmit + 1, stride); slot 0 is the constant record evaluation dispatches use. */
  stepRecords: GPUBuffer;
  stepStride: number;
  stepBindGroup: GPUBindGroup;
}

/** The fused path's own buffers. */
interface FusedBuffers {
  /** Train x, train y, test x, test y (fusedDataLayout), x as float32 bits. */
  data: GPUBuffer;
  /** Adam's bias corrections (1 - b1^t, 1 - b2^t) per run, per step of a chunk (16 bytes for the others). */
  corrections: GPUBuffer;
  /** Entries from one run's corrections to the next's. */
  correctionStride: number;
  /** FusedDispatch records, one per dispatch of a chunk, `recordStride` apart (read at dynamic offsets). */
  records: GPUBuffer;
  recordStride: number;
  recordBindGroup: GPUBindGroup;
  /** FusedSizes. */
  sizes: GPUBuffer;
  /** FusedRun per run (MAX_FUSED_RUNS records). */
  runs: GPUBuffer;
}

function makeBuffers(ctx: GpuContext, owner: BufferOwner, options: TrainerOptions, plan: TrainingPlan, settings: GpuTrainerSettings, fused: FusedPlan | null, runs: readonly RunSettings[]): TrainerBuffers {
  const { layers } = options.params.spec;
  const S = GPUBufferUsage.STORAGE;
  const P = plan.params.count;
  const C = plan.capacity;
  // Each run's model starts on a storage offset boundary, so that evaluate() can bind it alone.
  const modelStride = fused ? roundUp(2 * P + fused.stateWords, ctx.device.limits.minStorageBufferOffsetAlignment / 4) : P;
  const historyStride = fused ? fused.chunkEpochs : settings.readbackEvery;
  const packed = new Float32Array(fused ? (runs.length - 1) * modelStride + 2 * P + fused.stateWords : P);
  runs.forEach(({ params }, r) => {
    for (let l = 0; l < layerCount(params.spec); l++) {
      packed.set(params.weights[l], r * modelStride + plan.params.weightOffsets[l]);
      packed.set(params.biases[l], r * modelStride + plan.params.biasOffsets[l]);
    }
  });
  const { train, test } = options;
  return {
    train: uploadDataset(owner, 'train', train.x, train.y, train.size, train.inputs, plan.trainSegment),
    test: test && test.size > 0 ? uploadDataset(owner, 'test', test.x, test.y, test.size, test.inputs, plan.testSegment) : null,
    params: owner.create(fused ? 'model (params, grads, state)' : 'params', packed.byteLength, S | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, packed),
    z: layers.slice(1).map((w, l) => owner.create(`z[${l}]`, C * w * 4, S)),
    a: layers.slice(1).map((w, l) => owner.create(`a[${l}]`, C * w * 4, S)),
    dZ: layers.slice(1).map((w, l) => owner.create(`dZ[${l}]`, C * w * 4, S)),
    results: owner.create('sample results', C * 8, S | GPUBufferUsage.COPY_SRC),
    probs: owner.create('probabilities', C * layers[layers.length - 1] * 4, S | GPUBufferUsage.COPY_SRC),
    history: owner.create('history', runs.length * historyStride * 16, S | GPUBufferUsage.COPY_SRC),
    modelStride,
    historyStride,
    general: fused ? null : makeGeneralBuffers(ctx, owner, options, plan, settings),
    fused: fused ? makeFusedBuffers(ctx, owner, options, plan, fused, runs, modelStride) : null,
  };
}

function makeGeneralBuffers(ctx: GpuContext, owner: BufferOwner, options: TrainerOptions, plan: TrainingPlan, settings: GpuTrainerSettings): GeneralBuffers {
  const { device } = ctx;
  const { layers } = options.params.spec;
  const S = GPUBufferUsage.STORAGE;
  const P = plan.params.count;
  const mini = plan.batchSize < plan.trainSize;
  const stateStride = roundUp(P * 4, device.limits.minStorageBufferOffsetAlignment) / 4;
  const stateCount = stateArrays(options.optimizer.kind);
  const stepStride = roundUp(32, device.limits.minUniformBufferOffsetAlignment);
  const firstRecord = new UniformRecord().u32(0).u32(0).u32(0).u32(0).u32(0).f32(1).f32(1).data;
  const stepRecordBytes = new Uint8Array((settings.stepsPerSubmit + 1) * stepStride);
  stepRecordBytes.set(firstRecord);
  const stepRecords = owner.create('step records', stepRecordBytes.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, stepRecordBytes);
  return {
    grads: owner.create('grads', P * 4, S | GPUBufferUsage.COPY_SRC),
    state: owner.create('optimizer state', Math.max(4, stateCount * stateStride * 4), S, new Float32Array(Math.max(1, stateCount * stateStride))),
    stateStride,
    partial: owner.create('gradient partial sums', plan.gradRows * P * 4, S),
    batchX: mini ? owner.create('batch x', plan.trainChunk * layers[0] * 4, S) : null,
    batchY: mini ? owner.create('batch y', plan.trainChunk * 4, S) : null,
    trainStats: owner.create('train loss stats', plan.steps * plan.statsPerBatch * 8, S),
    testStats: owner.create('test loss stats', Math.max(1, plan.testBlocks) * 8, S),
    stepRecords,
    stepStride,
    stepBindGroup: device.createBindGroup({ label: `${owner.prefix} step records`, layout: KernelLibrary.for(ctx).stepLayout, entries: [{ binding: 0, resource: { buffer: stepRecords, offset: 0, size: 32 } }] }),
  };
}

function makeFusedBuffers(ctx: GpuContext, owner: BufferOwner, options: TrainerOptions, plan: TrainingPlan, fused: FusedPlan, runs: readonly RunSettings[], modelStride: number): FusedBuffers {
  const { device } = ctx;
  const { train, test } = options;
  const testSize = test?.size ?? 0;
  const layout = fusedDataLayout(train.inputs, train.size, testSize);
  const data = new Uint32Array(layout.words);
  const bits = new Float32Array(data.buffer);
  bits.set(train.x.subarray(0, train.size * train.inputs), layout.trainX);
  data.set(train.y.subarray(0, train.size), layout.trainY);
  if (test && testSize > 0) {
    bits.set(test.x.subarray(0, testSize * test.inputs), layout.testX);
    data.set(test.y.subarray(0, testSize), layout.testY);
  }
  const o = options.optimizer;
  const P = plan.params.count;
  const sizes = new UniformRecord()
    .u32(fused.layers.length)
    .u32(train.size)
    .u32(testSize)
    .u32(plan.batchSize)
    .u32(plan.steps)
    .u32(P)
    .u32(fused.stateWords)
    .u32(options.params.spec.layers[options.params.spec.layers.length - 1])
    .u32(layout.trainX)
    .u32(layout.trainY)
    .u32(layout.testX)
    .u32(layout.testY)
    .align16();
  for (let l = 0; l < MAX_FUSED_LAYERS; l++) {
    const layer = fused.layers[l];
    if (layer) sizes.u32(layer.inSize).u32(layer.outSize).u32(layer.wOffset).u32(layer.bOffset).u32(layer.inSlot).u32(layer.zSlot).u32(layer.aSlot).u32(0);
    else for (let k = 0; k < 8; k++) sizes.u32(0);
  }
  const correctionStride = fused.chunkEpochs * plan.steps;
  // FusedRun records: the run's OptimizerSizes (44 bytes, padded to 48), then seed and the three bases.
  const table = new Uint8Array(MAX_FUSED_RUNS * FUSED_RUN_BYTES);
  runs.forEach((run, r) => {
    const record = optimizerRecord(new UniformRecord(), plan, run.optimizer).align16();
    record.u32(run.shuffleSeed >>> 0).u32(r * modelStride).u32(r * fused.chunkEpochs).u32(r * correctionStride);
    table.set(record.data.subarray(0, FUSED_RUN_BYTES), r * FUSED_RUN_BYTES);
  });
  const recordStride = roundUp(32, device.limits.minUniformBufferOffsetAlignment);
  const records = owner.create('fused dispatch records', Math.ceil(fused.chunkEpochs / fused.epochsPerDispatch) * recordStride, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  return {
    data: owner.create('fused data', data.byteLength, GPUBufferUsage.STORAGE, data),
    corrections: owner.create('adam corrections', o.kind === 'adam' ? runs.length * correctionStride * 8 : 16, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST),
    correctionStride,
    records,
    recordStride,
    recordBindGroup: device.createBindGroup({ label: `${owner.prefix} fused dispatch records`, layout: KernelLibrary.for(ctx).stepLayout, entries: [{ binding: 0, resource: { buffer: records, offset: 0, size: 32 } }] }),
    sizes: owner.create('fused sizes', sizes.data.byteLength, GPUBufferUsage.UNIFORM, sizes.data),
    runs: owner.create('fused runs', table.byteLength, GPUBufferUsage.UNIFORM, table),
  };
}

/** OptimizerSizes (optimizer.wgsl) of optimizer `o` appended to `record`. */
function optimizerRecord(record: UniformRecord, plan: TrainingPlan, o: OptimizerConfig): UniformRecord {
  return record
    .u32(plan.params.count)
    .u32(plan.params.weightCount)
    .u32(plan.gradChunk)
    .f32(o.lr)
    .f32(o.momentum)
    .f32(o.beta1)
    .f32(o.beta2)
    .f32(1 - o.beta1)
    .f32(1 - o.beta2)
    .f32(o.epsilon)
    .f32(o.weightDecay);
}

/** The fused path's pipeline and bind group, and the plan they were made for. */
interface FusedProgram {
  plan: FusedPlan;
  variant: FusedVariant;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
}

async function buildFusedProgram(ctx: GpuContext, library: KernelLibrary, options: TrainerOptions, plan: TrainingPlan, fused: FusedPlan, variant: FusedVariant, b: TrainerBuffers): Promise<FusedProgram> {
  const f = b.fused!;
  const copies = modelCopies(variant);
  const pipeline = await library.pipeline(variant.kernel, {
    ACTIVATION: ACTIVATION_CODES[options.params.spec.activation],
    FUSED_WORKGROUP: variant.lanes,
    MODEL_COPIES: copies,
    PARAM_WORDS: plan.params.count * copies,
    STATE_WORDS: Math.max(1, fused.stateWords * copies),
    SLOT_WORDS: fused.slotWords,
    OPTIMIZER: OPTIMIZER_CODES[options.optimizer.kind],
  });
  const bindGroup = await ctx.guarded('GpuTrainer: fused bind group', () => library.bindGroup(variant.kernel, `fused ${variant.name}`, [b.params, b.history, f.data, f.corrections, f.sizes, f.runs]));
  return { plan: fused, variant, pipeline, bindGroup };
}

/** The general path's dispatch lists. */
interface Programs {
  /** One step's forward and backward over a full batch, and over the epoch's last (maybe smaller) batch. */
  fullBatch: Dispatch[];
  lastBatch: Dispatch[];
  /** The optimizer update over every parameter (empty when the steps fuse it into the weight gradients). */
  update: Dispatch[];
  /** The test set's loss statistics after an epoch (empty without a test set). */
  test: Dispatch[];
  /** The epoch's history record. */
  record: Dispatch[];
  /** A full batch's gradient into the partial sums, updating nothing, and their sum into `grads` (batchGradients). */
  gradient: Dispatch[];
  sumGradients: Dispatch[];
}

function lossSizes(n: number, classes: number, scale: number, blockBase = 0): UniformRecord {
  return new UniformRecord().u32(n).u32(classes).f32(scale).u32(blockBase);
}

/** Adds the forward dispatches of every layer over `count` samples of `input`; returns their indices. */
function addForward(builder: ProgramBuilder, b: TrainerBuffers, params: GPUBuffer | GPUBufferBinding, spec: MlpSpec, offsets: ParamLayout, input: GPUBuffer | GPUBufferBinding, count: number, label: string): number[] {
  const { layers, activation } = spec;
  const { forward, constants } = builder.profile;
  const last = layers.length - 2;
  const indices: number[] = [];
  for (let l = 0; l <= last; l++) {
    const sizes = new UniformRecord().u32(count).u32(layers[l]).u32(layers[l + 1]).u32(offsets.weightOffsets[l]).u32(offsets.biasOffsets[l]);
    const resources = [b.z[l], b.a[l], l === 0 ? input : b.a[l - 1], params, sizes];
    const workgroups = forwardWorkgroups(forward, count, layers[l + 1], constants);
    indices.push(builder.add(forward, `${label} forward ${l}`, resources, workgroups, { ACTIVATION: ACTIVATION_CODES[l < last ? activation : 'identity'] }));
  }
  return indices;
}

async function buildPrograms(ctx: GpuContext, builder: ProgramBuilder, options: TrainerOptions, plan: TrainingPlan, b: TrainerBuffers): Promise<Programs> {
  const { layers, activation } = options.params.spec;
  const g = b.general!;
  const last = layers.length - 2;
  const classes = layers[last + 1];
  const inputs = layers[0];
  const P = plan.params.count;
  const { profile } = builder;
  const k = profile.constants;
  const mini = g.batchX !== null;
  const o = options.optimizer;
  const optimizerSizes = optimizerRecord(new UniformRecord(), plan, options.optimizer);
  const optimizerCode = { OPTIMIZER: OPTIMIZER_CODES[o.kind] };
  // Every batch in one chunk and one row of partial sums: each layer's gradient is final in one pass, so
  // its update goes with it (matmulGradWeightsUpdate*), after the layer's input gradient.
  const fuseUpdate = plan.gradRows === 1 && plan.trainChunk >= plan.batchSize;
  const stateBinding = (i: number): GPUBufferBinding => ({ buffer: g.state, offset: i * g.stateStride * 4, size: P * 4 });

  /** One step over a batch of `batchSize` samples, chunk by chunk; `update`: with the fused updates. */
  const step = (batchSize: number, update: boolean): number[] => {
    const indices: number[] = [];
    const parts = mini ? chunks(batchSize, batchSize, plan.trainChunk) : chunks(plan.trainSize, plan.trainSegment, plan.trainChunk);
    for (const c of parts) {
      const label = `batch of ${batchSize}, chunk ${c.start}${update ? '' : ', gradient only'}`;
      let x: GPUBuffer | GPUBufferBinding;
      let y: GPUBuffer | GPUBufferBinding;
      if (mini) {
        x = g.batchX!;
        y = g.batchY!;
        b.train.x.forEach((segmentX, s) => {
          const segmentStart = s * b.train.segment;
          const segmentCount = Math.min(b.train.segment, plan.trainSize - segmentStart);
          const sizes = new UniformRecord().u32(c.count).u32(c.start).u32(inputs).u32(plan.trainSize).u32(options.shuffleSeed >>> 0).u32(segmentStart).u32(segmentCount);
          indices.push(builder.add('gatherBatch', `${label} gather from segment ${s}`, [g.batchX!, g.batchY!, segmentX, b.train.y[s], sizes], grid1d(c.count, k.GATHER_WORKGROUP)));
        });
      } else {
        x = chunkBinding(b.train.x, c, inputs);
        y = chunkBinding(b.train.y, c, 1);
      }
      indices.push(...addForward(builder, b, b.params, options.params.spec, plan.params, x, c.count, label));
      // Chunks of a split batch start on statistics blocks and rows of partial sums (plan.trainChunk).
      const loss = lossSizes(c.count, classes, 1 / batchSize, c.start / STATS_BLOCK);
      indices.push(builder.add('softmaxCrossEntropyStats', `${label} loss`, [g.trainStats, b.dZ[last], b.z[last], y, loss], [Math.ceil(c.count / STATS_BLOCK)]));
      const offsets = plan.params;
      for (let l = last; l >= 0; l--) {
        const inSize = layers[l];
        const outSize = layers[l + 1];
        const A = l === 0 ? x : b.a[l - 1];
        const gradSizes = new UniformRecord().u32(c.count).u32(outSize).u32(inSize).u32(offsets.weightOffsets[l]).u32(offsets.biasOffsets[l]).u32(P).u32(plan.gradChunk).u32(c.start / plan.gradChunk).u32(g.stateStride);
        const gradInput = () => {
          const sizes = new UniformRecord().u32(c.count).u32(outSize).u32(inSize).u32(offsets.weightOffsets[l]);
          const inputWorkgroups = gradInputWorkgroups(profile.gradInputActivationBackward, c.count, inSize, k);
          indices.push(builder.add(profile.gradInputActivationBackward, `${label} grad input ${l}`, [b.dZ[l - 1], b.dZ[l], b.params, b.z[l - 1], sizes], inputWorkgroups, { ACTIVATION: ACTIVATION_CODES[activation] }));
        };
        if (update) {
          // The input gradient reads W(l) before the update changes it.
          if (l > 0) gradInput();
          const workgroups = gradWeightsUpdateWorkgroups(profile.gradWeightsUpdate, outSize, inSize, k);
          // The whole state buffer: Adam's second moments sit at stateStride.
          indices.push(builder.add(profile.gradWeightsUpdate, `${label} grad weights and update ${l}`, [b.params, b.dZ[l], A, gradSizes, g.state, optimizerSizes], workgroups, optimizerCode));
        } else {
          const gradWorkgroups = gradWeightsWorkgroups(profile.gradWeights, c.count, outSize, inSize, plan.gradChunk, k);
          indices.push(builder.add(profile.gradWeights, `${label} grad weights ${l}`, [g.partial, b.dZ[l], A, gradSizes], gradWorkgroups));
          if (l > 0) gradInput();
        }
      }
    }
    return indices;
  };

  const updateKernel: KernelName = o.kind === 'adam' ? 'adamUpdate' : o.kind === 'momentum' ? 'momentumUpdate' : 'sgdUpdate';
  const paramGrid = grid1d(P, k.OPTIMIZER_WORKGROUP);
  const state = Array.from({ length: stateArrays(o.kind) }, (_, i) => stateBinding(i));

  const fullBatch = step(plan.batchSize, fuseUpdate);
  const lastBatch = plan.lastBatchSize === plan.batchSize ? fullBatch : step(plan.lastBatchSize, fuseUpdate);
  const update = fuseUpdate ? [] : [builder.add(updateKernel, 'update', [b.params, ...state, g.partial, optimizerSizes], paramGrid)];
  const gradient = fuseUpdate ? step(plan.batchSize, false) : fullBatch;
  const sumGradients = [builder.add('sumGradPartials', 'sum gradients', [g.grads, g.partial, optimizerSizes], paramGrid)];
  const test: number[] = [];
  if (b.test) {
    const testSize = b.test.size;
    for (const c of chunks(testSize, b.test.segment, plan.testChunk)) {
      const label = `test chunk ${c.start}`;
      const y = chunkBinding(b.test.y, c, 1);
      test.push(...addForward(builder, b, b.params, options.params.spec, plan.params, chunkBinding(b.test.x, c, inputs), c.count, label));
      test.push(builder.add('softmaxCrossEntropyStats', `${label} loss`, [g.testStats, b.dZ[last], b.z[last], y, lossSizes(c.count, classes, 1, c.start / STATS_BLOCK)], [Math.ceil(c.count / STATS_BLOCK)]));
    }
  }
  const recordSizes = new UniformRecord().u32(plan.trainSize).u32(plan.batchSize).u32(plan.statsPerBatch).u32(plan.steps).u32(plan.testBlocks);
  const record = [builder.add('recordEpoch', 'record epoch', [b.history, g.trainStats, g.testStats, recordSizes], [1])];

  const dispatches = await builder.build(ctx, 'GpuTrainer');
  const pick = (indices: number[]) => indices.map((i) => dispatches[i]);
  return {
    fullBatch: pick(fullBatch),
    lastBatch: pick(lastBatch),
    update: pick(update),
    test: pick(test),
    record: pick(record),
    gradient: pick(gradient),
    sumGradients: pick(sumGradients),
  };
}
