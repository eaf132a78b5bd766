// How a training run is laid out on the GPU, from the sizes and the device limits alone (pure, so it is
// tested without a GPU): parameter packing, the chunks a batch is processed in when its activations do not
// fit one storage binding, the segments a data set is split into, and the rows of gradient partial sums;
// and which path runs: the fused trainer (shaders/fused.wgsl) when the model, its gradients and optimizer
// state fit one workgroup's memory, else the general path.

import type { OptimizerKind } from '../cpu/optimizer.ts';
import { layerCount, parameterCount, type MlpSpec } from '../model/mlp.ts';
import { FUSED_WORKGROUP_LANES, KERNEL_PROFILES, MAX_WORKGROUPS_PER_DIMENSION, modelCopies, samplesPerLane, STATS_BLOCK, type FusedVariantName, type KernelProfile } from './kernels.ts';

/** The two ways of running a training step: see src/gpu/gpuTrainer.ts. */
export const GPU_PATHS = ['fused', 'general'] as const;
export type GpuPath = (typeof GPU_PATHS)[number];

/** Every knob of the GPU trainer, with its default. */
export interface GpuTrainerSettings {
  /**
   * Which path trains: `fused` (one dispatch runs many epochs in one workgroup; shaders/fused.wgsl),
   * `general` (a few dispatches per step, any size), or `auto` (autoPath): fused when the model fits a
   * workgroup (planFused) and an epoch's work is at most fusedMaxEpochWork, else general. A forced `fused`
   * that does not fit throws a PlanError naming the limit.
   */
  path: 'auto' | GpuPath;
  /** Fused path: which kernel version (src/gpu/kernels.ts FUSED_VARIANT_NAMES); auto: chooseFusedVariant. */
  fusedVariant: 'auto' | FusedVariantName;
  /** Fused path, workgroup version: invocations per workgroup; 0 = FUSED_WORKGROUP_LANES on CPU-emulated adapters, gpuWorkgroupLanes on GPUs. */
  fusedLanes: number;
  /**
   * Fused path: epochs per dispatch, 0 = from a work estimate (FUSED_DISPATCH_WORK), so that no single
   * dispatch runs long enough to trip a GPU watchdog. Several dispatches go in one submission.
   */
  fusedEpochsPerDispatch: number;
  /**
   * `auto` takes the fused path only up to this much work per epoch, in multiply-adds ((3 train + 1 test
   * samples) x parameters, fusedEpochWork); 0 = the measured crossover of the adapter's kind
   * (FUSED_MAX_EPOCH_WORK). One workgroup leaves the rest of the device idle, so big data sets go the
   * general way.
   */
  fusedMaxEpochWork: number;
  /**
   * Epochs between history readbacks inside one train() call; each readback waits for the GPU. The fused
   * path trains each such chunk in one submission (fewer epochs per chunk with Adam when its table of bias
   * corrections would pass FUSED_MAX_TABLE_STEPS).
   */
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
  /** Which kernel versions run (src/gpu/kernels.ts KERNEL_PROFILES); auto: autoProfile (tiled on GPUs; naive or blocked on CPU-emulated adapters by the work and the layers' width). */
  kernels: 'auto' | 'tiled' | 'blocked' | 'naive';
  /**
   * A cap on every storage binding below the device's maxStorageBufferBindingSize, and on every buffer
   * below maxBufferSize: only to exercise the splitting of big data sets on small ones in tests.
   */
  maxBindingBytes: number;
}

export const DEFAULT_GPU_TRAINER_SETTINGS: Readonly<GpuTrainerSettings> = {
  path: 'auto',
  fusedVariant: 'auto',
  fusedLanes: 0,
  fusedEpochsPerDispatch: 0,
  fusedMaxEpochWork: 0,
  readbackEvery: 1000,
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

// ---- The fused path ----

/** Most layers the fused kernel takes (shaders/fused.wgsl MAX_FUSED_LAYERS). */
export const MAX_FUSED_LAYERS = 8;

/**
 * Work (multiply-adds, as fusedEpochWork counts them) one fused dispatch may hold when
 * fusedEpochsPerDispatch is 0: 2^28 is some 2,000 epochs of the 2-12-5 assignment, tens of milliseconds on
 * one workgroup of a GPU, far below any watchdog (Windows' is 2 s).
 */
export const FUSED_DISPATCH_WORK = 2 ** 28;

/** Most Adam steps one train() chunk's table of bias corrections holds (8 bytes a step). */
export const FUSED_MAX_TABLE_STEPS = 1 << 20;

/** One layer as the fused kernel sees it (FusedLayer in shaders/fused.wgsl). */
export interface FusedLayer {
  inSize: number;
  outSize: number;
  /** Offsets of W (out, in) and b (out) in the packed parameters. */
  wOffset: number;
  bOffset: number;
  /** First scratch slot of the layer's input, its z (then dZ), and its a (the next layer's input). */
  inSlot: number;
  zSlot: number;
  aSlot: number;
}

/** Words of optimizer state per parameter. */
export function stateArrays(kind: OptimizerKind): number {
  return kind === 'adam' ? 2 : kind === 'momentum' ? 1 : 0;
}

/**
 * The fused kernel's per-sample scratch: x (inputs), then per layer its z and, below the last layer, its a.
 * Returns the layer table and the slots per sample.
 */
export function fusedLayers(spec: MlpSpec): { layers: FusedLayer[]; slotWords: number } {
  const params = paramLayout(spec);
  const layers: FusedLayer[] = [];
  let slot = spec.layers[0];
  let inSlot = 0;
  for (let l = 0; l < layerCount(spec); l++) {
    const outSize = spec.layers[l + 1];
    const zSlot = slot;
    slot += outSize;
    const hidden = l + 1 < layerCount(spec);
    const aSlot = hidden ? slot : 0;
    if (hidden) slot += outSize;
    layers.push({ inSize: spec.layers[l], outSize, wOffset: params.weightOffsets[l], bOffset: params.biasOffsets[l], inSlot, zSlot, aSlot });
    inSlot = aSlot;
  }
  return { layers, slotWords: slot };
}

/**
 * Bytes of workgroup memory the fused kernel `variant` declares: parameters and gradients (P each) and
 * optimizer state (at least one word), times the model's copies (modelCopies); the scratch of every lane,
 * and a loss and a count per lane.
 */
export function fusedWorkgroupBytes(spec: MlpSpec, kind: OptimizerKind, variant: FusedShape): number {
  const P = parameterCount(spec);
  const copies = modelCopies(variant);
  return 4 * (2 * P * copies + Math.max(1, stateArrays(kind) * P * copies) + fusedLayers(spec).slotWords * variant.lanes * samplesPerLane(variant.name) + 2 * variant.lanes);
}

/** Most invocations gpuWorkgroupLanes gives the workgroup version (the device is asked for at most 256). */
export const FUSED_MAX_WORKGROUP_LANES = 256;

/**
 * Invocations of the fused workgroup version on a GPU: doubled from FUSED_WORKGROUP_LANES while a tile
 * (4 samples a lane) is still smaller than the largest pass (a batch, or the test set) and the doubled
 * workgroup fits the device's workgroup memory and invocation limits. The one workgroup runs on one
 * compute unit, where a pass costs a chain of ceil(n / (4 lanes)) tiles, while each lane's share of the
 * gradient sums stays about P terms a tile (ceil(P / lanes) gradients of `lanes` terms): more lanes, a
 * shorter chain (the assignment's 400 samples: 7 tiles at 16 lanes, 2 at 64). CPU-emulated adapters keep
 * FUSED_WORKGROUP_LANES: they run lanes one after another, so lanes buy nothing there (measured on
 * llvmpipe: 16 and 32 alike).
 */
export function gpuWorkgroupLanes(spec: MlpSpec, kind: OptimizerKind, largestPass: number, limits: Pick<FusedLimits, 'maxComputeWorkgroupStorageSize' | 'maxComputeInvocationsPerWorkgroup'>): number {
  const fits = (lanes: number) =>
    lanes <= FUSED_MAX_WORKGROUP_LANES && lanes <= limits.maxComputeInvocationsPerWorkgroup && fusedWorkgroupBytes(spec, kind, { name: 'workgroup', lanes }) <= limits.maxComputeWorkgroupStorageSize;
  let lanes = FUSED_WORKGROUP_LANES;
  while (samplesPerLane('workgroup') * lanes < largestPass && fits(2 * lanes)) lanes *= 2;
  return lanes;
}

/**
 * Multiply-adds of the general path's products in one epoch: per sample and layer the forward and the
 * weight gradient (in x out each) and, above the first layer, the input gradient.
 */
export function generalEpochWork(spec: MlpSpec, trainSize: number): number {
  let perSample = 0;
  for (let l = 0; l < layerCount(spec); l++) perSample += spec.layers[l] * spec.layers[l + 1] * (l === 0 ? 2 : 3);
  return perSample * trainSize;
}

/** Multiply-adds of one fused epoch, roughly: forward, backward and gradient per train sample, forward per test sample. */
export function fusedEpochWork(spec: MlpSpec, trainSize: number, testSize: number): number {
  return (3 * trainSize + testSize) * parameterCount(spec);
}

export interface FusedLimits {
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  /**
   * Loop iterations one invocation may run in one dispatch, over all its loops together (Infinity where
   * there is no such limit; src/gpu/device.ts GALLIVM_LOOP_LIMIT on llvmpipe). A fused dispatch there
   * takes only as many epochs as fit that budget, counted by fusedLoopIterations, with this margin.
   */
  maxLoopIterations: number;
}

const LOOP_BUDGET_MARGIN = 0.9;

/**
 * An upper bound on the loop iterations one invocation of the fused kernel runs: per epoch, and once per
 * dispatch (loading and storing the model). Mirrors the loops of shaders/fused.wgsl and
 * fusedSubgroup.wgsl, counting each loop's iterations plus one for its exit; the shuffle's cycle walking
 * is bounded by its domain (all positions of an epoch together walk exactly the domain once).
 */
export function fusedLoopIterations(spec: MlpSpec, trainSize: number, testSize: number, batchSize: number, stateWords: number, variant: FusedVariantName, lanes: number): { perEpoch: number; perDispatch: number } {
  const { layers } = spec;
  const L = layerCount(spec);
  const P = parameterCount(spec);
  const C = layers[L];
  const outs = layers.slice(1);
  const ins = layers.slice(0, -1);
  const sum = (f: (l: number) => number) => ins.reduce((acc, _, l) => acc + f(l), 0);
  const load = layers[0] + 1;
  const forward = L + 1 + sum((l) => outs[l] + 1 + outs[l] * (ins[l] + 1));
  const loss = (gradient: boolean) => C + (C + 1) + (gradient ? C + 1 : 0);
  const backward = L + sum((l) => (l === 0 ? 0 : ins[l] + 1 + ins[l] * (outs[l] + 1)));
  const accumulate = L + 1 + sum((l) => outs[l] + 1 + outs[l] * (ins[l] + 1));
  const steps = Math.ceil(trainSize / batchSize);
  const mini = batchSize < trainSize;
  let domainBits = 0;
  while (2 ** domainBits < trainSize) domainBits++;
  const domain = 2 ** (2 * Math.max(1, Math.ceil(domainBits / 2)));
  // shuffledIndex: 5 for the round keys, then 6 per step of the cycle walk.
  const shuffle = (positions: number) => (mini ? 5 * positions + 6 * Math.min(domain, positions + domain - trainSize) : 0);
  // The vec4 versions' loops over a lane's samples: choosing them, loading x, the hidden activations.
  const perLane = samplesPerLane(variant);
  const components = perLane > 1 ? (perLane + 1) * (1 + layers[0] + outs.slice(0, -1).reduce((acc, w) => acc + w, 0)) : 0;
  const sample = (gradient: boolean) => load + forward + loss(gradient) + (gradient ? backward : 0) + components;
  // Loops over the model: the workgroup version's lanes share them out, the others run them whole.
  const owned = (words: number) => (variant === 'workgroup' ? Math.ceil(words / lanes) : words) + 1;
  let perEpoch = 1 + steps + 1;
  // Tiles of lanes x perLane samples (serial: one lane); each lane draws its samples' shuffled positions.
  const tiles = (n: number) => Math.ceil(n / (lanes * perLane));
  const trainTiles = steps * (tiles(batchSize) + 1);
  perEpoch += steps * (2 * owned(P)) + trainTiles * (sample(true) + 1) + shuffle(Math.min(trainSize, trainTiles * perLane));
  // Per tile, the gradient terms: by their owners (workgroup: a layer scan and the tile's lanes per
  // gradient, and lane 0 the tile's losses), or by every lane into its own view (serial, subgroup).
  const terms = variant === 'workgroup' ? owned(P) * (L + 1 + lanes + 1) + lanes + 1 : accumulate;
  perEpoch += trainTiles * terms;
  const testTiles = tiles(testSize);
  perEpoch += testTiles + 1 + testTiles * (sample(false) + (variant === 'workgroup' ? lanes + 1 : 0));
  const perDispatch = 2 * (owned(P) + owned(stateWords)) + 2;
  return { perEpoch, perDispatch };
}

/** A fused kernel version as the plan sees it: its name and its invocations. */
export interface FusedShape {
  name: FusedVariantName;
  lanes: number;
}

/** Why the fused kernel `variant` cannot run this model here, or null when it can. */
export function fusedIneligibility(spec: MlpSpec, trainSize: number, testSize: number, batchSize: number, kind: OptimizerKind, variant: FusedShape, device: FusedLimits, settings: Pick<GpuTrainerSettings, 'maxBindingBytes'>): string | null {
  const { lanes } = variant;
  const L = layerCount(spec);
  if (L > MAX_FUSED_LAYERS) return `${L} layers, more than the fused kernel's ${MAX_FUSED_LAYERS}`;
  if (lanes > device.maxComputeInvocationsPerWorkgroup) return `${lanes} invocations per workgroup, more than the device's maxComputeInvocationsPerWorkgroup (${device.maxComputeInvocationsPerWorkgroup})`;
  const bytes = fusedWorkgroupBytes(spec, kind, variant);
  if (bytes > device.maxComputeWorkgroupStorageSize) {
    return `layers [${spec.layers.join(',')}] with ${kind} need ${bytes} bytes of workgroup memory (parameters, gradients, optimizer state and ${lanes} samples' activations), more than the device's maxComputeWorkgroupStorageSize (${device.maxComputeWorkgroupStorageSize})`;
  }
  const bindingBytes = Math.min(device.maxStorageBufferBindingSize, device.maxBufferSize, settings.maxBindingBytes);
  const dataBytes = fusedDataLayout(spec.layers[0], trainSize, testSize).words * 4;
  if (dataBytes > bindingBytes) return `the train and test sets take ${dataBytes} bytes, more than one storage binding holds (${bindingBytes})`;
  if (Number.isFinite(device.maxLoopIterations)) {
    const loops = fusedLoopIterations(spec, trainSize, testSize, batchSize, stateArrays(kind) * parameterCount(spec), variant.name, lanes);
    if (loops.perDispatch + loops.perEpoch > device.maxLoopIterations * LOOP_BUDGET_MARGIN) {
      return `one epoch of the ${variant.name} version takes up to ${loops.perEpoch} loop iterations per invocation, more than this adapter runs in one invocation (${device.maxLoopIterations}, GALLIVM_LOOP_LIMIT)`;
    }
  }
  return null;
}

/** Word offsets of the fused kernel's one data buffer: train x, train y, test x, test y, each 256-byte aligned. */
export function fusedDataLayout(inputs: number, trainSize: number, testSize: number): { trainX: number; trainY: number; testX: number; testY: number; words: number } {
  const align = (words: number) => Math.ceil(words / 64) * 64;
  const trainX = 0;
  const trainY = align(trainX + trainSize * inputs);
  const testX = align(trainY + trainSize);
  const testY = align(testX + testSize * inputs);
  return { trainX, trainY, testX, testY, words: Math.max(1, testY + testSize) };
}

/** How the fused path runs a training run. */
export interface FusedPlan {
  layers: FusedLayer[];
  slotWords: number;
  /** Invocations of the kernel (1 for the serial variant). */
  lanes: number;
  workgroupBytes: number;
  stateWords: number;
  /** Epochs per dispatch (at most what the work estimate and the loop budget allow), and per train() chunk (one submission, one readback). */
  epochsPerDispatch: number;
  chunkEpochs: number;
}

/**
 * The fused path's layout for a run with kernel version `variant`, or a PlanError saying which limit it
 * exceeds. Epochs per dispatch: the setting, or as many as FUSED_DISPATCH_WORK allows; never more than
 * the adapter's loop budget allows (maxLoopIterations).
 */
export function planFused(spec: MlpSpec, trainSize: number, testSize: number, batchSize: number, kind: OptimizerKind, variant: FusedShape, device: FusedLimits, settings: GpuTrainerSettings, runs = 1): FusedPlan {
  const { lanes } = variant;
  const reason = fusedIneligibility(spec, trainSize, testSize, batchSize, kind, variant, device, settings);
  if (reason) throw new PlanError(`the fused path cannot run this model here: ${reason}`);
  const { fusedEpochsPerDispatch: requested } = settings;
  if (!Number.isInteger(requested) || requested < 0) throw new PlanError(`fusedEpochsPerDispatch must be a non-negative integer, got ${requested}`);
  const steps = Math.ceil(trainSize / batchSize);
  let epochsPerDispatch = requested > 0 ? requested : Math.max(1, Math.floor(FUSED_DISPATCH_WORK / fusedEpochWork(spec, trainSize, testSize)));
  if (Number.isFinite(device.maxLoopIterations)) {
    const loops = fusedLoopIterations(spec, trainSize, testSize, batchSize, stateArrays(kind) * parameterCount(spec), variant.name, lanes);
    epochsPerDispatch = Math.min(epochsPerDispatch, Math.floor((device.maxLoopIterations * LOOP_BUDGET_MARGIN - loops.perDispatch) / loops.perEpoch));
  }
  // Adam's table of bias corrections holds the chunk's steps of every run.
  const tableEpochs = kind === 'adam' ? Math.max(1, Math.floor(FUSED_MAX_TABLE_STEPS / (steps * runs))) : Infinity;
  const { layers, slotWords } = fusedLayers(spec);
  return {
    layers,
    slotWords,
    lanes,
    workgroupBytes: fusedWorkgroupBytes(spec, kind, variant),
    stateWords: stateArrays(kind) * parameterCount(spec),
    epochsPerDispatch,
    chunkEpochs: Math.min(settings.readbackEvery, tableEpochs),
  };
}

// ---- Which path `auto` takes ----

/**
 * The kinds of adapter whose crossover between the paths differs (adapterKind): `llvmpipe` (Mesa's
 * gallivm: llvmpipe, and lavapipe by kinship, unmeasured), `swiftshader` (and any other CPU-emulated
 * adapter, unmeasured), `gpu` (hardware).
 */
export const ADAPTER_KINDS = ['llvmpipe', 'swiftshader', 'gpu'] as const;
export type AdapterKind = (typeof ADAPTER_KINDS)[number];

/** The kind of an adapter, from its name (GpuContext.adapterName) and whether it is CPU-emulated. */
export function adapterKind(adapterName: string, software: boolean): AdapterKind {
  if (/llvmpipe|lavapipe/i.test(adapterName)) return 'llvmpipe';
  return software ? 'swiftshader' : 'gpu';
}

/**
 * The most work per epoch (fusedEpochWork, multiply-adds) for which `auto` takes the fused path, per
 * adapter kind: about where the fused path stops being faster than the general one, measured with both
 * paths in one process on the 2-12-5 model, full batch, GD, on 2 shared cores (ms an epoch, fused vs
 * general, 20:40 UTC, the fused kernel's four samples per lane and the readback pacer included;
 * bench/RESULTS.md):
 *   llvmpipe     2^26. The fused workgroup version is ahead wherever it can run: N=400 0.27 vs 0.86,
 *                N=1,000 0.71 vs 1.79, N=4,000 3.2 vs 6.0. Past some 7,000 samples an epoch no longer fits
 *                llvmpipe's loop budget (fusedIneligibility), which is what sends big data sets to the
 *                general path there.
 *   swiftshader  2^26 (N = 166,000). The fused subgroup version is ahead at every size measured:
 *                N=400 0.70 vs 2.24, 4,000 6.2 vs 14.4, 30,000 42 vs 91, 100,000 139 vs 279.
 *   gpu          2^22, not measured on hardware: a data set of about 14,000 samples of the assignment's
 *                model, beyond which one workgroup leaves too much of a GPU idle.
 */
export const FUSED_MAX_EPOCH_WORK: Readonly<Record<AdapterKind, number>> = {
  llvmpipe: 1 << 26,
  swiftshader: 1 << 26,
  gpu: 1 << 22,
};

/**
 * The path `auto` takes (pure, so it is tested without a GPU): general when the fused kernel cannot run
 * the model (`ineligible`, from fusedIneligibility), or when an epoch's work passes the limit
 * (settings.fusedMaxEpochWork, or the adapter kind's FUSED_MAX_EPOCH_WORK when that is 0); else fused.
 */
export function autoPath(kind: AdapterKind, epochWork: number, ineligible: string | null, settings: Pick<GpuTrainerSettings, 'fusedMaxEpochWork'>): GpuPath {
  if (ineligible !== null) return 'general';
  const limit = settings.fusedMaxEpochWork > 0 ? settings.fusedMaxEpochWork : FUSED_MAX_EPOCH_WORK[kind];
  return epochWork <= limit ? 'fused' : 'general';
}

// ---- Which kernels `auto` runs on the general path ----

/**
 * Multiply-adds of an epoch's products (generalEpochWork) from which CPU-emulated adapters may take the
 * blocked kernels rather than the naive ones. Their 16 x 16 blocks take seconds to compile (measured:
 * SwiftShader about 4 s in every process; llvmpipe 25 s the first time on a machine, then from Mesa's
 * disk cache), which pays back only where epochs are long: at 2^24 the naive kernels take a few tenths of
 * a second an epoch, most of which the blocked ones save on llvmpipe. W2 (2^24.4) and up; not W1 (2^16.5).
 */
export const BLOCKED_MIN_EPOCH_WORK = 2 ** 24;

/**
 * Multiply-adds per sample per layer from which SwiftShader gains from the blocked kernels. They compute
 * 16 x 16 outputs an invocation, wasted past a narrow layer's edge, and SwiftShader (unlike llvmpipe,
 * which is bound by its per-lane loads) pays for that arithmetic. Measured, general path, ms an epoch
 * naive / blocked: 2-12-5 at N = 100,000 (114 a layer) 471 / 789; 2-32-5 at 30,000 (304) 319 / 486;
 * 2-64-64-5 at 16,384 (4,496) 2,602 / 2,196; W3 and W4 (their wide layers 65,536 and 100,352) about 2x.
 */
export const SWIFTSHADER_BLOCKED_MIN_LAYER_WORK = 4096;

/**
 * The general path's kernels for `auto` (src/gpu/kernels.ts KERNEL_PROFILES): tiled on GPUs; on
 * CPU-emulated adapters naive below BLOCKED_MIN_EPOCH_WORK, else blocked on llvmpipe, and on SwiftShader
 * blocked for models whose layers average SWIFTSHADER_BLOCKED_MIN_LAYER_WORK multiply-adds a sample.
 */
export function autoProfile(kind: AdapterKind, spec: MlpSpec, trainSize: number): KernelProfile {
  if (kind === 'gpu') return KERNEL_PROFILES.tiled;
  const work = generalEpochWork(spec, trainSize);
  if (work < BLOCKED_MIN_EPOCH_WORK) return KERNEL_PROFILES.naive;
  const perLayer = work / trainSize / layerCount(spec);
  return KERNEL_PROFILES[kind === 'llvmpipe' || perLayer >= SWIFTSHADER_BLOCKED_MIN_LAYER_WORK ? 'blocked' : 'naive'];
}
