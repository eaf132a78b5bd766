// The WebGPU backend of the Trainer interface: the whole training step in WGSL, proven against CpuTrainer
// (src/cpu/cpuTrainer.ts), which is its specification.
//
// One training step, per chunk of the batch (one chunk unless the batch's activations exceed a binding):
//   gatherBatch (mini-batches only; one per data segment), the forward per layer (bias and activation
//   fused), softmaxCrossEntropy, accumulateLossStats, then per layer from the last: the weight gradients
//   (first pass of the batch reduction) and, below the last layer, the input gradient fused with the
//   activation derivative; then one optimizer update over every parameter, which also does the second,
//   fixed-order pass of the reduction. At the end of an epoch: per test chunk the forward,
//   softmaxCrossEntropy and accumulateLossStats, then recordEpoch, which writes the epoch's sums into a
//   GPU history buffer. With L layers, one chunk and one data segment: 3L + 2 dispatches per full-batch
//   step, 3L + 3 per mini-batch step; per epoch L + 3 more with a test set, 1 without. The 2-12-5
//   assignment: 8 per step, 13 per epoch.
//
// Host side: every buffer, sizes uniform and bind group of training is made once in create() (evaluate
// and predict make their few per call, and upload data other than the train and test sets per call).
// train(K) encodes up to `stepsPerSubmit` steps per submission in one compute pass with one writeBuffer
// of their step records, and reads the history and the parameters back once per `readbackEvery` epochs
// through one staging buffer. Validation errors and device loss become thrown errors naming the adapter;
// after a device loss every method throws ctx.lostError.

import type { Dataset } from '../data/dataset.ts';
import { layerCount, type MlpParams, type MlpSpec } from '../model/mlp.ts';
import { confusionMatrix, summarize, type EpochRecord, type Evaluation } from '../train/metrics.ts';
import { effectiveBatchSize, type Checkpoint, type Trainer, type TrainerOptions } from '../train/trainer.ts';
import { BufferOwner, roundUp, UniformArena, UniformRecord } from './buffers.ts';
import { GpuDeviceLostError, GpuValidationError, type GpuContext } from './device.ts';
import {
  ACTIVATION_CODES,
  defaultProfile,
  forwardWorkgroups,
  gradInputWorkgroups,
  gradWeightsWorkgroups,
  grid1d,
  KERNEL_PROFILES,
  KernelLibrary,
  STATS_BLOCK,
  STORAGE_BUFFERS_NEEDED,
  type ConstantName,
  type KernelName,
  type KernelProfile,
} from './kernels.ts';
import { chunks, DEFAULT_GPU_TRAINER_SETTINGS, planTraining, segmentSize, type Chunk, type GpuTrainerSettings, type ParamLayout, type TrainingPlan } from './plan.ts';

/** One recorded dispatch: made once, encoded many times. */
interface Dispatch {
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: readonly [number, number, number];
}

type Resource = GPUBuffer | GPUBufferBinding | UniformRecord;

/**
 * Collects dispatches whose sizes uniforms go into one UniformArena; build() writes the arena, then makes
 * the pipelines and bind groups.
 */
class ProgramBuilder {
  private readonly specs: { kernel: KernelName; constants: Partial<Record<ConstantName, number>>; label: string; resources: Resource[]; workgroups: readonly number[] }[] = [];

  constructor(
    private readonly library: KernelLibrary,
    private readonly arena: UniformArena,
    readonly profile: KernelProfile,
  ) {}

  /** Adds a dispatch (constants: the profile's, plus ACTIVATION when given); returns its index in build()'s result. */
  add(kernel: KernelName, label: string, resources: Resource[], workgroups: readonly number[], activation?: number): number {
    const constants = activation === undefined ? this.profile.constants : { ...this.profile.constants, ACTIVATION: activation };
    this.specs.push({ kernel, constants, label, resources, workgroups });
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

let nextTrainerId = 1;

export class GpuTrainer implements Trainer {
  readonly backend = 'gpu' as const;
  readonly deviceName: string;
  private epochs = 0;
  private steps = 0;
  /** Parameters last read back, and the epoch count they belong to. */
  private hostParams: MlpParams;
  private hostEpochs = 0;
  private disposed = false;
  /** Public methods run one at a time (they share the staging buffer and the step records). */
  private queue: Promise<unknown> = Promise.resolve();
  private staging: GPUBuffer | null = null;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly options: TrainerOptions,
    private readonly settings: GpuTrainerSettings,
    readonly plan: TrainingPlan,
    /** The kernel versions running (src/gpu/kernels.ts KERNEL_PROFILES). */
    readonly profile: KernelProfile,
    private readonly owner: BufferOwner,
    private readonly library: KernelLibrary,
    private readonly b: TrainerBuffers,
    private readonly programs: Programs,
  ) {
    this.deviceName = `${ctx.adapterName} (WebGPU${ctx.featureLevel === 'compatibility' ? ' compatibility mode' : ''}, ${profile.name} kernels)`;
    this.hostParams = copyParams(options.params);
    // A continued run resumes epoch numbering, shuffling and Adam's step count (as CpuTrainer does).
    this.epochs = this.hostEpochs = options.startEpoch ?? 0;
    this.steps = this.epochs * plan.steps;
  }

  /**
   * A trainer on `ctx` (which it uses but does not own: dispose() leaves the device alive). Uploads the
   * data sets and parameters, makes every buffer, pipeline and bind group.
   */
  static async create(ctx: GpuContext, options: TrainerOptions, settings: Partial<GpuTrainerSettings> = {}): Promise<GpuTrainer> {
    ctx.check();
    const all: GpuTrainerSettings = { ...DEFAULT_GPU_TRAINER_SETTINGS, ...settings };
    const { params, train, test } = options;
    const { layers } = params.spec;
    for (const data of test ? [train, test] : [train]) {
      if (data.inputs !== layers[0]) throw new Error(`${data.name}: ${data.inputs} inputs per sample, but the model takes ${layers[0]}`);
      if (data.classes > layers[layers.length - 1]) throw new Error(`${data.name}: ${data.classes} classes, but the model has ${layers[layers.length - 1]} outputs`);
    }
    if (!Number.isInteger(all.readbackEvery) || all.readbackEvery < 1) throw new Error(`readbackEvery must be a positive integer, got ${all.readbackEvery}`);
    if (!Number.isInteger(all.stepsPerSubmit) || all.stepsPerSubmit < 1) throw new Error(`stepsPerSubmit must be a positive integer, got ${all.stepsPerSubmit}`);
    const limits = ctx.device.limits;
    if (limits.maxStorageBuffersPerShaderStage < STORAGE_BUFFERS_NEEDED) {
      throw new GpuValidationError(`${ctx.adapterName}: the kernels bind ${STORAGE_BUFFERS_NEEDED} storage buffers, the device allows ${limits.maxStorageBuffersPerShaderStage}`);
    }
    const batchSize = effectiveBatchSize(options.batchSize, train.size);
    const profile = all.kernels === 'auto' ? defaultProfile(ctx) : KERNEL_PROFILES[all.kernels];
    const plan = planTraining(params.spec, train.size, test?.size ?? 0, batchSize, limits, all, profile.constants.TILE);
    const owner = new BufferOwner(ctx.device, `GpuTrainer#${nextTrainerId++}`);
    try {
      const library = KernelLibrary.for(ctx);
      const buffers = makeBuffers(ctx, owner, options, plan, all);
      const programs = await buildPrograms(ctx, new ProgramBuilder(library, new UniformArena(owner, 'sizes', limits.minUniformBufferOffsetAlignment), profile), options, plan, buffers);
      return new GpuTrainer(ctx, options, all, plan, profile, owner, library, buffers, programs);
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

  train(epochs: number): Promise<EpochRecord[]> {
    return this.exclusive(async () => {
      if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`train: epochs must be a non-negative integer, got ${epochs}`);
      const records: EpochRecord[] = [];
      for (let done = 0; done < epochs; ) {
        const count = Math.min(this.settings.readbackEvery, epochs - done);
        records.push(...(await this.trainEpochs(count)));
        done += count;
      }
      return records;
    });
  }

  /** Encodes `count` epochs (count <= readbackEvery), then reads their history and the parameters back. */
  private async trainEpochs(count: number): Promise<EpochRecord[]> {
    const { plan, programs, b, options } = this;
    const o = options.optimizer;
    const stride = b.stepStride;
    const records = new DataView(new ArrayBuffer((this.settings.stepsPerSubmit + 1) * stride));
    let encoder = this.ctx.device.createCommandEncoder({ label: 'train' });
    let pass = encoder.beginComputePass({ label: 'train steps' });
    let pending = 0;
    let steps = this.steps;
    const flush = () => {
      pass.end();
      this.ctx.device.queue.writeBuffer(b.stepRecords, stride, records.buffer, stride, pending * stride);
      this.ctx.device.queue.submit([encoder.finish({ label: 'train steps' })]);
      encoder = this.ctx.device.createCommandEncoder({ label: 'train' });
      pass = encoder.beginComputePass({ label: 'train steps' });
      pending = 0;
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
          pass.setBindGroup(1, b.stepBindGroup, [at]);
          encodeAll(pass, last ? programs.lastBatch : programs.fullBatch);
          encodeAll(pass, programs.update);
          if (last) {
            if (programs.test.length > 0) {
              pass.setBindGroup(1, b.stepBindGroup, [0]);
              encodeAll(pass, programs.test);
              pass.setBindGroup(1, b.stepBindGroup, [at]);
            }
            encodeAll(pass, programs.record);
          }
          if (pending === this.settings.stepsPerSubmit) flush();
        }
      }
      pass.end();
      if (pending > 0) this.ctx.device.queue.writeBuffer(b.stepRecords, stride, records.buffer, stride, pending * stride);
    });
    const bytes = await this.readback(encoder, `train: epochs ${this.epochs + 1}..${this.epochs + count}`, [
      [b.history, count * 16],
      [b.params, plan.params.count * 4],
    ]);
    const history = new DataView(bytes, 0, count * 16);
    this.hostParams = this.unpack(new Float32Array(bytes, roundUp(count * 16, 4), plan.params.count));
    const trainSize = options.train.size;
    const testSize = options.test?.size ?? 0;
    const out: EpochRecord[] = [];
    for (let e = 0; e < count; e++) {
      out.push({
        epoch: this.epochs + e + 1,
        trainLoss: history.getFloat32(16 * e, true) / trainSize,
        trainAccuracy: history.getUint32(16 * e + 4, true) / trainSize,
        testLoss: testSize > 0 ? history.getFloat32(16 * e + 8, true) / testSize : NaN,
        testAccuracy: testSize > 0 ? history.getUint32(16 * e + 12, true) / testSize : NaN,
      });
    }
    this.epochs += count;
    this.steps = steps;
    this.hostEpochs = this.epochs;
    return out;
  }

  /**
   * The gradient of the mean loss over the first batch of the next epoch at the current parameters, and
   * nothing updated: what the gradient checks compare with the float64 CPU oracle.
   */
  batchGradients(): Promise<MlpParams> {
    return this.exclusive(async () => {
      const { b, plan, programs } = this;
      const stride = b.stepStride;
      const record = new UniformRecord().u32(this.epochs).u32(0).u32(plan.batchSize).u32(0).u32(0).f32(1).f32(1);
      this.ctx.device.queue.writeBuffer(b.stepRecords, stride, record.data);
      const encoder = this.ctx.device.createCommandEncoder({ label: 'batch gradients' });
      const pass = encoder.beginComputePass({ label: 'batch gradients' });
      pass.setBindGroup(1, b.stepBindGroup, [stride]);
      encodeAll(pass, plan.steps === 1 ? programs.lastBatch : programs.fullBatch);
      encodeAll(pass, programs.sumGradients);
      pass.end();
      const bytes = await this.readback(encoder, 'batch gradients', [[b.grads, plan.params.count * 4]]);
      return this.unpack(new Float32Array(bytes, 0, plan.params.count));
    });
  }

  evaluate(data: Dataset): Promise<Evaluation> {
    return this.exclusive(async () => {
      const { layers } = this.options.params.spec;
      const classes = layers[layers.length - 1];
      if (data.inputs !== layers[0]) throw new Error(`${data.name}: ${data.inputs} inputs per sample, but the model takes ${layers[0]}`);
      if (data.classes > classes) throw new Error(`${data.name}: ${data.classes} classes, but the model has ${classes} outputs`);
      const bytes = await this.infer(data.x, data, data.size, 'evaluate');
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

  predict(x: Float32Array, n: number): Promise<Float32Array> {
    return this.exclusive(async () => {
      const { layers } = this.options.params.spec;
      if (x.length < n * layers[0]) throw new Error(`predict: x holds ${x.length} values, fewer than ${n} samples x ${layers[0]} inputs`);
      const bytes = await this.infer(x, null, n, 'predict');
      return new Float32Array(bytes, 0, n * layers[layers.length - 1]).slice();
    });
  }

  /**
   * Forward over n samples in chunks; with labels, the loss kernel's per-sample results (loss, argmax),
   * else the softmax probabilities, read back in sample order. The train and test sets use their resident
   * buffers; other data is uploaded into buffers that live for this call only.
   */
  private async infer(x: Float32Array, labelled: Dataset | null, n: number, what: string): Promise<ArrayBuffer> {
    const { plan, options, b } = this;
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
        const forward = addForward(builder, b, options.params.spec, plan.params, input, c.count, `${what} chunk ${c.start}`);
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

  getParams(): Promise<MlpParams> {
    return this.exclusive(async () => {
      const encoder = this.ctx.device.createCommandEncoder({ label: 'get params' });
      const bytes = await this.readback(encoder, 'getParams', [[this.b.params, this.plan.params.count * 4]]);
      this.hostParams = this.unpack(new Float32Array(bytes, 0, this.plan.params.count));
      this.hostEpochs = this.epochs;
      return copyParams(this.hostParams);
    });
  }

  checkpoint(): Checkpoint {
    return { epochsDone: this.hostEpochs, params: copyParams(this.hostParams) };
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
   * Copies `copies` into the staging buffer one after another at 4-byte aligned offsets, after the first
   * `written` bytes the encoder already copied there; submits, waits, and returns those bytes.
   */
  private async readback(encoder: GPUCommandEncoder, what: string, copies: [GPUBuffer, number][], written = 0): Promise<ArrayBuffer> {
    let total = roundUp(written, 4);
    const offsets = copies.map(([, size]) => {
      const at = total;
      total = roundUp(total + size, 4);
      return at;
    });
    const staging = this.stagingFor(total);
    copies.forEach(([buffer, size], i) => encoder.copyBufferToBuffer(buffer, 0, staging, offsets[i], size));
    await this.ctx.guarded(what, () => this.ctx.device.queue.submit([encoder.finish({ label: what })]));
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

/** Every buffer a trainer holds. Shapes in samples: C = plan.capacity, Ct = plan.trainChunk. */
interface TrainerBuffers {
  train: DeviceDataset;
  test: DeviceDataset | null;
  /** Packed parameters (P): all weights, then all biases; grads (P) for batchGradients. */
  params: GPUBuffer;
  grads: GPUBuffer;
  /** Optimizer state (P each): velocity for momentum; first and second moments for Adam. */
  state: GPUBuffer[];
  /** Gradient partial sums (gradRows, P). */
  partial: GPUBuffer;
  /** Per layer l: z, a, dZ (C, layers[l+1]). */
  z: GPUBuffer[];
  a: GPUBuffer[];
  dZ: GPUBuffer[];
  /** Per-sample (loss, argmax) (C); probabilities (C, classes). */
  results: GPUBuffer;
  probs: GPUBuffer;
  /** Mini-batches: the gathered batch x (Ct, inputs), y (Ct). */
  batchX: GPUBuffer | null;
  batchY: GPUBuffer | null;
  /** Loss statistics: (steps * statsPerBatch) for training, (testBlocks) for the test set. */
  trainStats: GPUBuffer;
  testStats: GPUBuffer;
  /** EpochStats (readbackEvery). */
  history: GPUBuffer;
  /** Step records (stepsPerSubmit + 1, stride); slot 0 is the constant record evaluation dispatches use. */
  stepRecords: GPUBuffer;
  stepStride: number;
  stepBindGroup: GPUBindGroup;
}

function makeBuffers(ctx: GpuContext, owner: BufferOwner, options: TrainerOptions, plan: TrainingPlan, settings: GpuTrainerSettings): TrainerBuffers {
  const { device } = ctx;
  const { spec } = options.params;
  const { layers } = spec;
  const S = GPUBufferUsage.STORAGE;
  const P = plan.params.count;
  const C = plan.capacity;
  const mini = plan.batchSize < plan.trainSize;
  const packed = new Float32Array(P);
  for (let l = 0; l < layerCount(spec); l++) {
    packed.set(options.params.weights[l], plan.params.weightOffsets[l]);
    packed.set(options.params.biases[l], plan.params.biasOffsets[l]);
  }
  const stateCount = options.optimizer.kind === 'adam' ? 2 : options.optimizer.kind === 'momentum' ? 1 : 0;
  const stepStride = roundUp(32, device.limits.minUniformBufferOffsetAlignment);
  const firstRecord = new UniformRecord().u32(0).u32(0).u32(0).u32(0).u32(0).f32(1).f32(1).data;
  const stepRecordBytes = new Uint8Array((settings.stepsPerSubmit + 1) * stepStride);
  stepRecordBytes.set(firstRecord);
  const stepRecords = owner.create('step records', stepRecordBytes.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, stepRecordBytes);
  const { train, test } = options;
  return {
    train: uploadDataset(owner, 'train', train.x, train.y, train.size, train.inputs, plan.trainSegment),
    test: test && test.size > 0 ? uploadDataset(owner, 'test', test.x, test.y, test.size, test.inputs, plan.testSegment) : null,
    params: owner.create('params', P * 4, S | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, packed),
    grads: owner.create('grads', P * 4, S | GPUBufferUsage.COPY_SRC),
    state: Array.from({ length: stateCount }, (_, i) => owner.create(`optimizer state ${i}`, P * 4, S, new Float32Array(P))),
    partial: owner.create('gradient partial sums', plan.gradRows * P * 4, S),
    z: layers.slice(1).map((w, l) => owner.create(`z[${l}]`, C * w * 4, S)),
    a: layers.slice(1).map((w, l) => owner.create(`a[${l}]`, C * w * 4, S)),
    dZ: layers.slice(1).map((w, l) => owner.create(`dZ[${l}]`, C * w * 4, S)),
    results: owner.create('sample results', C * 8, S | GPUBufferUsage.COPY_SRC),
    probs: owner.create('probabilities', C * layers[layers.length - 1] * 4, S | GPUBufferUsage.COPY_SRC),
    batchX: mini ? owner.create('batch x', plan.trainChunk * layers[0] * 4, S) : null,
    batchY: mini ? owner.create('batch y', plan.trainChunk * 4, S) : null,
    trainStats: owner.create('train loss stats', plan.steps * plan.statsPerBatch * 8, S),
    testStats: owner.create('test loss stats', Math.max(1, plan.testBlocks) * 8, S),
    history: owner.create('history', settings.readbackEvery * 16, S | GPUBufferUsage.COPY_SRC),
    stepRecords,
    stepStride,
    stepBindGroup: device.createBindGroup({ label: `${owner.prefix} step records`, layout: KernelLibrary.for(ctx).stepLayout, entries: [{ binding: 0, resource: { buffer: stepRecords, offset: 0, size: 32 } }] }),
  };
}

/** The dispatch lists a trainer encodes. */
interface Programs {
  /** One step's forward and backward over a full batch, and over the epoch's last (maybe smaller) batch. */
  fullBatch: Dispatch[];
  lastBatch: Dispatch[];
  /** The optimizer update (sums the partial gradients too). */
  update: Dispatch[];
  /** The test set's loss statistics after an epoch (empty without a test set). */
  test: Dispatch[];
  /** The epoch's history record. */
  record: Dispatch[];
  /** The summed gradient into `grads` (batchGradients only). */
  sumGradients: Dispatch[];
}

function lossSizes(n: number, classes: number, scale: number): UniformRecord {
  return new UniformRecord().u32(n).u32(classes).f32(scale);
}

/** Adds the forward dispatches of every layer over `count` samples of `input`; returns their indices. */
function addForward(builder: ProgramBuilder, b: TrainerBuffers, spec: MlpSpec, offsets: ParamLayout, input: GPUBuffer | GPUBufferBinding, count: number, label: string): number[] {
  const { layers, activation } = spec;
  const { forward, constants } = builder.profile;
  const last = layers.length - 2;
  const indices: number[] = [];
  for (let l = 0; l <= last; l++) {
    const sizes = new UniformRecord().u32(count).u32(layers[l]).u32(layers[l + 1]).u32(offsets.weightOffsets[l]).u32(offsets.biasOffsets[l]);
    const resources = [b.z[l], b.a[l], l === 0 ? input : b.a[l - 1], b.params, sizes];
    const workgroups = forwardWorkgroups(forward, count, layers[l + 1], constants);
    indices.push(builder.add(forward, `${label} forward ${l}`, resources, workgroups, ACTIVATION_CODES[l < last ? activation : 'identity']));
  }
  return indices;
}

async function buildPrograms(ctx: GpuContext, builder: ProgramBuilder, options: TrainerOptions, plan: TrainingPlan, b: TrainerBuffers): Promise<Programs> {
  const { layers, activation } = options.params.spec;
  const last = layers.length - 2;
  const classes = layers[last + 1];
  const inputs = layers[0];
  const P = plan.params.count;
  const { profile } = builder;
  const k = profile.constants;
  const mini = b.batchX !== null;

  /** One step over a batch of `batchSize` samples, chunk by chunk. */
  const step = (batchSize: number): number[] => {
    const indices: number[] = [];
    const parts = mini ? chunks(batchSize, batchSize, plan.trainChunk) : chunks(plan.trainSize, plan.trainSegment, plan.trainChunk);
    for (const c of parts) {
      const label = `batch of ${batchSize}, chunk ${c.start}`;
      let x: GPUBuffer | GPUBufferBinding;
      let y: GPUBuffer | GPUBufferBinding;
      if (mini) {
        x = b.batchX!;
        y = b.batchY!;
        b.train.x.forEach((segmentX, s) => {
          const segmentStart = s * b.train.segment;
          const segmentCount = Math.min(b.train.segment, plan.trainSize - segmentStart);
          const sizes = new UniformRecord().u32(c.count).u32(c.start).u32(inputs).u32(plan.trainSize).u32(options.shuffleSeed >>> 0).u32(segmentStart).u32(segmentCount);
          indices.push(builder.add('gatherBatch', `${label} gather from segment ${s}`, [b.batchX!, b.batchY!, segmentX, b.train.y[s], sizes], grid1d(c.count, k.GATHER_WORKGROUP)));
        });
      } else {
        x = chunkBinding(b.train.x, c, inputs);
        y = chunkBinding(b.train.y, c, 1);
      }
      indices.push(...addForward(builder, b, options.params.spec, plan.params, x, c.count, label));
      indices.push(builder.add('softmaxCrossEntropy', `${label} loss`, [b.results, b.dZ[last], b.z[last], y, lossSizes(c.count, classes, 1 / batchSize)], grid1d(c.count, k.LOSS_WORKGROUP)));
      // Chunks of a split batch start on statistics blocks and rows of partial sums (plan.trainChunk).
      indices.push(builder.add('accumulateLossStats', `${label} loss stats`, [b.trainStats, b.results, y, new UniformRecord().u32(c.count).u32(c.start / STATS_BLOCK)], [Math.ceil(c.count / STATS_BLOCK)]));
      const offsets = plan.params;
      for (let l = last; l >= 0; l--) {
        const inSize = layers[l];
        const outSize = layers[l + 1];
        const A = l === 0 ? x : b.a[l - 1];
        const gradSizes = new UniformRecord().u32(c.count).u32(outSize).u32(inSize).u32(offsets.weightOffsets[l]).u32(offsets.biasOffsets[l]).u32(P).u32(plan.gradChunk).u32(c.start / plan.gradChunk);
        const gradWorkgroups = gradWeightsWorkgroups(profile.gradWeights, c.count, outSize, inSize, plan.gradChunk, k);
        indices.push(builder.add(profile.gradWeights, `${label} grad weights ${l}`, [b.partial, b.dZ[l], A, gradSizes], gradWorkgroups));
        if (l > 0) {
          const sizes = new UniformRecord().u32(c.count).u32(outSize).u32(inSize).u32(offsets.weightOffsets[l]);
          const inputWorkgroups = gradInputWorkgroups(profile.gradInputActivationBackward, c.count, inSize, k);
          indices.push(builder.add(profile.gradInputActivationBackward, `${label} grad input ${l}`, [b.dZ[l - 1], b.dZ[l], b.params, b.z[l - 1], sizes], inputWorkgroups, ACTIVATION_CODES[activation]));
        }
      }
    }
    return indices;
  };

  const o = options.optimizer;
  const optimizerSizes = new UniformRecord()
    .u32(P)
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
  const updateKernel: KernelName = o.kind === 'adam' ? 'adamUpdate' : o.kind === 'momentum' ? 'momentumUpdate' : 'sgdUpdate';
  const paramGrid = grid1d(P, k.OPTIMIZER_WORKGROUP);

  const fullBatch = step(plan.batchSize);
  const lastBatch = plan.lastBatchSize === plan.batchSize ? fullBatch : step(plan.lastBatchSize);
  const update = [builder.add(updateKernel, 'update', [b.params, ...b.state, b.partial, optimizerSizes], paramGrid)];
  const sumGradients = [builder.add('sumGradPartials', 'sum gradients', [b.grads, b.partial, optimizerSizes], paramGrid)];
  const test: number[] = [];
  if (b.test) {
    const testSize = b.test.size;
    for (const c of chunks(testSize, b.test.segment, plan.testChunk)) {
      const label = `test chunk ${c.start}`;
      const y = chunkBinding(b.test.y, c, 1);
      test.push(...addForward(builder, b, options.params.spec, plan.params, chunkBinding(b.test.x, c, inputs), c.count, label));
      test.push(builder.add('softmaxCrossEntropy', `${label} loss`, [b.results, b.dZ[last], b.z[last], y, lossSizes(c.count, classes, 1)], grid1d(c.count, k.LOSS_WORKGROUP)));
      test.push(builder.add('accumulateLossStats', `${label} loss stats`, [b.testStats, b.results, y, new UniformRecord().u32(c.count).u32(c.start / STATS_BLOCK)], [Math.ceil(c.count / STATS_BLOCK)]));
    }
  }
  const recordSizes = new UniformRecord().u32(plan.trainSize).u32(plan.batchSize).u32(plan.statsPerBatch).u32(plan.steps).u32(plan.testBlocks);
  const record = [builder.add('recordEpoch', 'record epoch', [b.history, b.trainStats, b.testStats, recordSizes], [1])];

  const dispatches = await builder.build(ctx, 'GpuTrainer');
  const pick = (indices: number[]) => indices.map((i) => dispatches[i]);
  return {
    fullBatch: pick(fullBatch),
    lastBatch: pick(lastBatch),
    update: pick(update),
    test: pick(test),
    record: pick(record),
    sumGradients: pick(sumGradients),
  };
}
