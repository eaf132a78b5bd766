// How a training run is laid out on the GPU, from the sizes and the device limits alone (pure, so it is
// tested without a GPU): parameter packing, the chunks a batch is processed in when its activations do not
// fit one storage binding, the segments a data set is split into, and the rows of gradient partial sums.

import { layerCount, type MlpSpec } from '../model/mlp.ts';
import { MAX_WORKGROUPS_PER_DIMENSION, STATS_BLOCK } from './kernels.ts';

/** Every knob of the GPU trainer, with its default. */
export interface GpuTrainerSettings {
  /** Epochs between history readbacks inside one train() call; each readback waits for the GPU. */
  readbackEvery: number;
  /** Most training steps encoded in one queue submission (bounds the per-step record buffer). */
  stepsPerSubmit: number;
  /**
   * Samples summed into one row of gradient partial sums, the first pass of the batch reduction; a
   * multiple of STATS_BLOCK (1024). Grown by doubling when the rows of a big batch times a big model
   * would not fit one binding.
   */
  gradChunk: number;
  /** Samples per chunk when evaluating a data set or predicting (the test set after every epoch too). */
  evalChunk: number;
  /** Which kernel versions run (src/gpu/kernels.ts KERNEL_PROFILES); auto: naive on CPU-emulated adapters, tiled elsewhere. */
  kernels: 'auto' | 'tiled' | 'naive';
  /**
   * A cap on every storage binding below the device's maxStorageBufferBindingSize, and on every buffer
   * below maxBufferSize: only to exercise the splitting of big data sets on small ones in tests.
   */
  maxBindingBytes: number;
}

export const DEFAULT_GPU_TRAINER_SETTINGS: Readonly<GpuTrainerSettings> = {
  readbackEvery: 100,
  stepsPerSubmit: 1024,
  gradChunk: 1024,
  evalChunk: 16384,
  kernels: 'auto',
  maxBindingBytes: Infinity,
};

export interface DeviceSizes {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/** Where each layer's tensors sit in the packed parameter buffer: all weights first, then all biases. */
export interface ParamLayout {
  count: number;
  /** Parameters [0, weightCount) are weights (weight decay applies), the rest biases. */
  weightCount: number;
  weightOffsets: number[];
  biasOffsets: number[];
}

export function paramLayout(spec: MlpSpec): ParamLayout {
  const { layers } = spec;
  const weightOffsets: number[] = [];
  const biasOffsets: number[] = [];
  let k = 0;
  for (let l = 0; l < layerCount(spec); l++) {
    weightOffsets.push(k);
    k += layers[l + 1] * layers[l];
  }
  const weightCount = k;
  for (let l = 0; l < layerCount(spec); l++) {
    biasOffsets.push(k);
    k += layers[l + 1];
  }
  return { count: k, weightCount, weightOffsets, biasOffsets };
}

/** A range of samples processed by one set of dispatches, inside one segment of its data set. */
export interface Chunk {
  /** First sample, counted over the whole data set (or batch). */
  start: number;
  count: number;
  /** Which segment (buffer) of the data set holds it, and where the chunk starts inside it. */
  segment: number;
  segmentStart: number;
}

/**
 * `size` samples held in segments of `segment` samples, cut into chunks of at most `chunk` that never
 * cross a segment: chunk starts inside a segment are multiples of `chunk`.
 */
export function chunks(size: number, segment: number, chunk: number): Chunk[] {
  const out: Chunk[] = [];
  for (let first = 0, s = 0; first < size; first += segment, s++) {
    const end = Math.min(size, first + segment);
    for (let start = first; start < end; start += chunk) out.push({ start, count: Math.min(chunk, end - start), segment: s, segmentStart: start - first });
  }
  return out;
}

/** Largest multiple of `multiple` that is <= value (0 when none). */
function floorTo(value: number, multiple: number): number {
  return Math.floor(value / multiple) * multiple;
}

/**
 * Samples per segment of a data set of `size` samples with `inputs` features, for bindings of at most
 * `bindingBytes`: all of them when they fit, else a multiple of `chunk`.
 */
export function segmentSize(size: number, inputs: number, bindingBytes: number, chunk: number): number {
  const perBinding = Math.floor(bindingBytes / (4 * inputs));
  return size <= perBinding ? size : floorTo(perBinding, chunk);
}

export interface TrainingPlan {
  params: ParamLayout;
  trainSize: number;
  batchSize: number;
  /** Batches per epoch; the last has lastBatchSize samples. */
  steps: number;
  lastBatchSize: number;
  /** Samples per training chunk: the whole batch when it fits one binding, else a multiple of gradChunk. */
  trainChunk: number;
  /** Samples per chunk of the test set: all of it when it fits, else a multiple of STATS_BLOCK. */
  testChunk: number;
  /** Samples per chunk of evaluate() and predict(): a multiple of 64 (256-byte binding offsets). */
  inferChunk: number;
  /** Samples the activation buffers hold: the largest chunk. */
  capacity: number;
  /** Samples per row of gradient partial sums, and the rows of a full batch. */
  gradChunk: number;
  gradRows: number;
  /** Loss statistics entries per batch (one per STATS_BLOCK samples), and of the test set. */
  statsPerBatch: number;
  testBlocks: number;
  /** Samples per buffer of a data set split into segments (x, y) that each fit one binding. */
  trainSegment: number;
  testSegment: number;
  /** The binding cap in effect. */
  bindingBytes: number;
}

export class PlanError extends Error {
  override readonly name = 'PlanError';
}

/**
 * The layout of a run: spec, train and test sizes, samples per batch (already effective: 1..trainSize).
 * Every per-sample buffer of one chunk fits one binding: x (in), z, a, dZ (width), probabilities
 * (classes), results (2 words) and labels (1 word) all take at most 4 * max(layers, 2) bytes a sample.
 */
export function planTraining(spec: MlpSpec, trainSize: number, testSize: number, batchSize: number, device: DeviceSizes, settings: GpuTrainerSettings, tile: number): TrainingPlan {
  const params = paramLayout(spec);
  const bindingBytes = Math.min(device.maxStorageBufferBindingSize, device.maxBufferSize, settings.maxBindingBytes);
  const sampleBytes = 4 * Math.max(2, ...spec.layers);
  // The tiled matmuls put samples on one workgroup dimension, `tile` per workgroup.
  const maxChunk = Math.min(Math.floor(bindingBytes / sampleBytes), MAX_WORKGROUPS_PER_DIMENSION * tile);
  if (settings.gradChunk % STATS_BLOCK !== 0 || settings.gradChunk < STATS_BLOCK) {
    throw new PlanError(`gradChunk must be a positive multiple of ${STATS_BLOCK}, got ${settings.gradChunk}`);
  }
  // The rows of partial sums of a full batch, each a copy of every parameter, must fit one binding.
  let gradChunk = settings.gradChunk;
  while (Math.ceil(batchSize / gradChunk) * params.count * 4 > bindingBytes && gradChunk < batchSize) gradChunk *= 2;
  const gradRows = Math.ceil(batchSize / gradChunk);
  if (gradRows * params.count * 4 > bindingBytes) {
    throw new PlanError(`${params.count} parameters take ${params.count * 4} bytes, more than one storage binding holds (${bindingBytes})`);
  }
  // A batch split into chunks starts every chunk on a row of partial sums and a statistics block.
  const trainChunk = batchSize <= maxChunk ? batchSize : floorTo(maxChunk, gradChunk);
  if (trainChunk === 0) {
    throw new PlanError(`layers [${spec.layers.join(',')}]: ${gradChunk} samples of activations (${gradChunk * sampleBytes} bytes) do not fit one storage binding (${bindingBytes})`);
  }
  const inferLimit = Math.min(settings.evalChunk, maxChunk);
  const inferChunk = inferLimit >= STATS_BLOCK ? floorTo(inferLimit, STATS_BLOCK) : floorTo(inferLimit, 64);
  if (inferChunk === 0) throw new PlanError(`evalChunk ${settings.evalChunk}: fewer than 64 samples per evaluation chunk`);
  const testChunk = Math.max(testSize, 1) <= inferChunk ? Math.max(testSize, 1) : inferChunk;
  if (testChunk < testSize && testChunk % STATS_BLOCK !== 0) {
    throw new PlanError(`evalChunk ${settings.evalChunk}: the test set is split, so a chunk must hold a multiple of ${STATS_BLOCK} samples`);
  }
  const steps = Math.ceil(trainSize / batchSize);
  const statsPerBatch = Math.ceil(batchSize / STATS_BLOCK);
  if (steps * statsPerBatch * 8 > bindingBytes) {
    throw new PlanError(`${steps} batches of ${batchSize} per epoch: their loss statistics (8 bytes a batch) exceed one storage binding (${bindingBytes} bytes); use bigger batches`);
  }
  return {
    params,
    trainSize,
    batchSize,
    steps,
    lastBatchSize: trainSize - (steps - 1) * batchSize,
    trainChunk,
    testChunk,
    inferChunk,
    capacity: Math.max(trainChunk, testChunk, inferChunk),
    gradChunk,
    gradRows,
    statsPerBatch,
    testBlocks: Math.ceil(testSize / STATS_BLOCK),
    trainSegment: segmentSize(trainSize, spec.layers[0], bindingBytes, trainChunk),
    testSegment: segmentSize(Math.max(testSize, 1), spec.layers[0], bindingBytes, testChunk),
    bindingBytes,
  };
}
