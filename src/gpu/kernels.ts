// The WGSL kernels as the host sees them: which files make each shader module, every entry point's
// bindings, the override constants (tile and workgroup sizes, one documented place), the versions
// training uses (KERNEL_PROFILES for the general path, chooseFusedVariant for the fused trainer), and a
// per-device cache of modules, layouts and pipelines. The same .wgsl files load in
// Node, in the browser and in tests (imported as text through `?raw`); modules are whole files put one
// after another, never code assembled from snippets.

import activationWgsl from '../../shaders/activation.wgsl?raw';
import fusedWgsl from '../../shaders/fused.wgsl?raw';
import fusedSubgroupWgsl from '../../shaders/fusedSubgroup.wgsl?raw';
import matmulWgsl from '../../shaders/matmul.wgsl?raw';
import noopWgsl from '../../shaders/noop.wgsl?raw';
import optimizerWgsl from '../../shaders/optimizer.wgsl?raw';
import shuffleWgsl from '../../shaders/shuffle.wgsl?raw';
import softmaxCrossEntropyWgsl from '../../shaders/softmaxCrossEntropy.wgsl?raw';
import stepWgsl from '../../shaders/step.wgsl?raw';
import type { OptimizerKind } from '../cpu/optimizer.ts';
import type { Activation } from '../model/mlp.ts';
import { GpuValidationError, type GpuContext } from './device.ts';

/** Each shader module: the whole files it is made of, in order (shared declarations first). */
const MODULE_FILES = {
  activation: [['activation.wgsl', activationWgsl]],
  matmul: [['step.wgsl', stepWgsl], ['activation.wgsl', activationWgsl], ['optimizer.wgsl', optimizerWgsl], ['matmul.wgsl', matmulWgsl]],
  softmaxCrossEntropy: [['step.wgsl', stepWgsl], ['softmaxCrossEntropy.wgsl', softmaxCrossEntropyWgsl]],
  optimizer: [['step.wgsl', stepWgsl], ['optimizer.wgsl', optimizerWgsl]],
  shuffle: [['step.wgsl', stepWgsl], ['shuffle.wgsl', shuffleWgsl]],
  noop: [['noop.wgsl', noopWgsl]],
  fused: [['step.wgsl', stepWgsl], ['shuffle.wgsl', shuffleWgsl], ['activation.wgsl', activationWgsl], ['optimizer.wgsl', optimizerWgsl], ['fused.wgsl', fusedWgsl]],
  // `enable subgroups;` must open the module, so its file comes first.
  fusedSubgroup: [['fusedSubgroup.wgsl', fusedSubgroupWgsl], ['step.wgsl', stepWgsl], ['shuffle.wgsl', shuffleWgsl], ['activation.wgsl', activationWgsl], ['optimizer.wgsl', optimizerWgsl], ['fused.wgsl', fusedWgsl]],
} as const satisfies Record<string, readonly (readonly [string, string])[]>;

export type ModuleName = keyof typeof MODULE_FILES;

/**
 * Override constants with their defaults (the `tiled` profile's): the tunables of every kernel.
 * TILE: edge of the matmul tiles (multiple of 4, at most 16: TILE^2 invocations per workgroup).
 * BLOCK_ROWS, BLOCK_QUADS: the register-blocked matmuls' block, BLOCK_ROWS rows by 4 BLOCK_QUADS columns
 * of the output per invocation (at most MAX_BLOCK_ROWS and MAX_BLOCK_QUADS); BLOCK_WORKGROUP: their
 * invocations per workgroup.
 * *_WORKGROUP: invocations per workgroup of the 1-D kernels. STATS_WORKGROUP must be a power of two.
 * STATS_PER_INVOCATION: samples each invocation of accumulateLossStats sums; STATS_WORKGROUP times it is
 * STATS_BLOCK in every profile.
 */
export const KERNEL_CONSTANTS = {
  TILE: 16,
  BLOCK_ROWS: 16,
  BLOCK_QUADS: 4,
  BLOCK_WORKGROUP: 32,
  ELEMENTWISE_WORKGROUP: 256,
  LOSS_WORKGROUP: 64,
  STATS_WORKGROUP: 256,
  STATS_PER_INVOCATION: 4,
  OPTIMIZER_WORKGROUP: 256,
  GATHER_WORKGROUP: 256,
  NOOP_WORKGROUP: 64,
} as const;

export type KernelConstants = { readonly [K in keyof typeof KERNEL_CONSTANTS]: number };

/**
 * The fused kernel's override constants, set from the model at pipeline creation (no defaults):
 * FUSED_WORKGROUP invocations (and scratch lanes), MODEL_COPIES (1, or one per lane for the subgroup
 * version), PARAM_WORDS = P x copies, STATE_WORDS (optimizer state x copies, at least 1), SLOT_WORDS
 * scratch words per sample, OPTIMIZER (OPTIMIZER_CODES).
 */
export const FUSED_CONSTANT_NAMES = ['FUSED_WORKGROUP', 'MODEL_COPIES', 'PARAM_WORDS', 'STATE_WORDS', 'SLOT_WORDS', 'OPTIMIZER'] as const;
export type FusedConstantName = (typeof FUSED_CONSTANT_NAMES)[number];
export type ConstantName = keyof typeof KERNEL_CONSTANTS | 'ACTIVATION' | FusedConstantName;

/** optimizer.wgsl's OPT_* codes (the OPTIMIZER override of the fused kernels). */
export const OPTIMIZER_CODES: Readonly<Record<OptimizerKind, number>> = { gd: 0, momentum: 1, adam: 2 };

/** Largest BLOCK_ROWS and BLOCK_QUADS: the sizes of the blocked kernels' accumulator arrays (shaders/matmul.wgsl). */
export const MAX_BLOCK_ROWS = 16;
export const MAX_BLOCK_QUADS = 4;

/** Samples per entry of the loss statistics (one workgroup of accumulateLossStats). */
export const STATS_BLOCK = 1024;

/** activation.wgsl's ACT_* codes; `identity` is the output layer (its softmax lives in the loss). */
export const ACTIVATION_CODES: Readonly<Record<Activation | 'identity', number>> = {
  identity: 0,
  softplus: 1,
  relu: 2,
  tanh: 3,
  sigmoid: 4,
};

/** 'write' is read_write storage, 'read' read-only storage. */
export type BindingKind = 'write' | 'read' | 'uniform';

export interface KernelInfo {
  module: ModuleName;
  /** [binding, kind] of group 0, in binding order: outputs, then inputs, then the sizes uniform. */
  bindings: readonly (readonly [number, BindingKind])[];
  /** Whether the kernel reads the per-step record (step.wgsl) at group 1 with a dynamic offset. */
  step: boolean;
  /** The override constants the entry point uses. */
  constants: readonly ConstantName[];
}

const W = 'write';
const R = 'read';
const U = 'uniform';

/** Every entry point, named after its CPU twin. */
export const KERNELS = {
  activationForward: { module: 'activation', bindings: [[0, W], [1, R], [2, U]], step: false, constants: ['ACTIVATION', 'ELEMENTWISE_WORKGROUP'] },
  activationBackward: { module: 'activation', bindings: [[0, W], [1, R], [2, R], [3, U]], step: false, constants: ['ACTIVATION', 'ELEMENTWISE_WORKGROUP'] },
  matmulBiasActForwardNaive: { module: 'matmul', bindings: [[0, W], [1, W], [2, R], [3, R], [4, U]], step: false, constants: ['ACTIVATION', 'ELEMENTWISE_WORKGROUP'] },
  matmulBiasActForward: { module: 'matmul', bindings: [[0, W], [1, W], [2, R], [3, R], [4, U]], step: false, constants: ['ACTIVATION', 'TILE'] },
  matmulBiasActForwardBlocked: { module: 'matmul', bindings: [[0, W], [1, W], [2, R], [3, R], [4, U]], step: false, constants: ['ACTIVATION', 'BLOCK_ROWS', 'BLOCK_QUADS', 'BLOCK_WORKGROUP'] },
  matmulGradWeightsNaive: { module: 'matmul', bindings: [[0, W], [1, R], [2, R], [3, U]], step: false, constants: ['ELEMENTWISE_WORKGROUP'] },
  matmulGradWeights: { module: 'matmul', bindings: [[0, W], [1, R], [2, R], [3, U]], step: false, constants: ['TILE'] },
  matmulGradWeightsBlocked: { module: 'matmul', bindings: [[0, W], [1, R], [2, R], [3, U]], step: false, constants: ['BLOCK_ROWS', 'BLOCK_QUADS', 'BLOCK_WORKGROUP'] },
  // Gradient and update fused: params, dZ, A, sizes, optimizer state (a 16-byte dummy for gd), optimizer sizes.
  matmulGradWeightsUpdateNaive: { module: 'matmul', bindings: [[0, W], [1, R], [2, R], [3, U], [4, W], [9, U]], step: true, constants: ['ELEMENTWISE_WORKGROUP', 'OPTIMIZER'] },
  matmulGradWeightsUpdate: { module: 'matmul', bindings: [[0, W], [1, R], [2, R], [3, U], [4, W], [9, U]], step: true, constants: ['TILE', 'OPTIMIZER'] },
  matmulGradWeightsUpdateBlocked: { module: 'matmul', bindings: [[0, W], [1, R], [2, R], [3, U], [4, W], [9, U]], step: true, constants: ['BLOCK_ROWS', 'BLOCK_QUADS', 'BLOCK_WORKGROUP', 'OPTIMIZER'] },
  matmulGradInput: { module: 'matmul', bindings: [[0, W], [1, R], [2, R], [3, U]], step: false, constants: ['ELEMENTWISE_WORKGROUP'] },
  matmulGradInputActivationBackwardNaive: { module: 'matmul', bindings: [[0, W], [1, R], [2, R], [3, R], [4, U]], step: false, constants: ['ACTIVATION', 'ELEMENTWISE_WORKGROUP'] },
  matmulGradInputActivationBackward: { module: 'matmul', bindings: [[0, W], [1, R], [2, R], [3, R], [4, U]], step: false, constants: ['ACTIVATION', 'TILE'] },
  matmulGradInputActivationBackwardBlocked: { module: 'matmul', bindings: [[0, W], [1, R], [2, R], [3, R], [4, U]], step: false, constants: ['ACTIVATION', 'BLOCK_ROWS', 'BLOCK_QUADS', 'BLOCK_WORKGROUP'] },
  softmaxCrossEntropy: { module: 'softmaxCrossEntropy', bindings: [[0, W], [1, W], [2, R], [3, R], [4, U]], step: false, constants: ['LOSS_WORKGROUP'] },
  softmax: { module: 'softmaxCrossEntropy', bindings: [[0, W], [1, R], [2, U]], step: false, constants: ['LOSS_WORKGROUP'] },
  softmaxCrossEntropyStats: { module: 'softmaxCrossEntropy', bindings: [[0, W], [1, W], [2, R], [3, R], [4, U]], step: true, constants: ['STATS_WORKGROUP', 'STATS_PER_INVOCATION'] },
  accumulateLossStats: { module: 'softmaxCrossEntropy', bindings: [[0, W], [1, R], [2, R], [3, U]], step: true, constants: ['STATS_WORKGROUP', 'STATS_PER_INVOCATION'] },
  recordEpoch: { module: 'softmaxCrossEntropy', bindings: [[0, W], [1, R], [2, R], [3, U]], step: true, constants: ['STATS_WORKGROUP', 'STATS_PER_INVOCATION'] },
  sumGradPartials: { module: 'optimizer', bindings: [[0, W], [8, R], [9, U]], step: true, constants: ['OPTIMIZER_WORKGROUP'] },
  sgdUpdate: { module: 'optimizer', bindings: [[0, W], [8, R], [9, U]], step: true, constants: ['OPTIMIZER_WORKGROUP'] },
  momentumUpdate: { module: 'optimizer', bindings: [[0, W], [1, W], [8, R], [9, U]], step: true, constants: ['OPTIMIZER_WORKGROUP'] },
  adamUpdate: { module: 'optimizer', bindings: [[0, W], [1, W], [2, W], [8, R], [9, U]], step: true, constants: ['OPTIMIZER_WORKGROUP'] },
  gatherBatch: { module: 'shuffle', bindings: [[0, W], [1, W], [2, R], [3, R], [4, U]], step: true, constants: ['GATHER_WORKGROUP'] },
  noop: { module: 'noop', bindings: [], step: false, constants: ['NOOP_WORKGROUP'] },
  // The fused trainer: model (params, grads, state), history, data, Adam corrections, sizes; its dispatch
  // record at group 1 (in the step record's place).
  fusedTrainSerial: { module: 'fused', bindings: [[0, W], [1, W], [2, R], [3, R], [4, U], [5, U]], step: true, constants: ['ACTIVATION', 'MODEL_COPIES', 'PARAM_WORDS', 'STATE_WORDS', 'SLOT_WORDS', 'OPTIMIZER', 'FUSED_WORKGROUP'] },
  fusedTrainWorkgroup: { module: 'fused', bindings: [[0, W], [1, W], [2, R], [3, R], [4, U], [5, U]], step: true, constants: ['ACTIVATION', 'MODEL_COPIES', 'PARAM_WORDS', 'STATE_WORDS', 'SLOT_WORDS', 'OPTIMIZER', 'FUSED_WORKGROUP'] },
  fusedTrainSubgroup: { module: 'fusedSubgroup', bindings: [[0, W], [1, W], [2, R], [3, R], [4, U], [5, U]], step: true, constants: ['ACTIVATION', 'MODEL_COPIES', 'PARAM_WORDS', 'STATE_WORDS', 'SLOT_WORDS', 'OPTIMIZER', 'FUSED_WORKGROUP'] },
} as const satisfies Record<string, KernelInfo>;

export type KernelName = keyof typeof KERNELS;

/**
 * The kernel versions and constants training uses, in one place. `tiled` for GPUs. `blocked` for
 * CPU-emulated adapters (SwiftShader, llvmpipe): they run a workgroup's invocations as coroutines and
 * switch every one of them at each barrier, so barrier-free kernels win there (16 x 16 tiles run 20 to 50
 * times slower than the naive matmuls), and of those the register-blocked ones: 16 x 16 outputs per
 * invocation, 32 loads per 256 multiply-adds where the naive ones load 2 per 1 (measured by
 * bench/measure/matmul.measure.ts on W3's and W4's wide layers: 5-14x the naive kernels on llvmpipe, about
 * 2x on SwiftShader). Reductions there use 64-invocation workgroups. `naive` is the plainest version,
 * the baseline the others are measured against, and what CPU-emulated adapters run where the blocked
 * kernels' compile would not pay back or their 16 x 16 blocks are mostly past a narrow layer's edge
 * (src/gpu/plan.ts autoProfile decides).
 */
export interface KernelProfile {
  name: 'tiled' | 'blocked' | 'naive';
  forward: 'matmulBiasActForward' | 'matmulBiasActForwardBlocked' | 'matmulBiasActForwardNaive';
  gradWeights: 'matmulGradWeights' | 'matmulGradWeightsBlocked' | 'matmulGradWeightsNaive';
  /** The weight gradients fused with the update, for batches of one row of partial sums. */
  gradWeightsUpdate: 'matmulGradWeightsUpdate' | 'matmulGradWeightsUpdateBlocked' | 'matmulGradWeightsUpdateNaive';
  gradInputActivationBackward: 'matmulGradInputActivationBackward' | 'matmulGradInputActivationBackwardBlocked' | 'matmulGradInputActivationBackwardNaive';
  constants: KernelConstants;
}

/** Constants of the profiles for CPU-emulated adapters: 64-invocation reductions. */
const SOFTWARE_CONSTANTS: KernelConstants = { ...KERNEL_CONSTANTS, STATS_WORKGROUP: 64, STATS_PER_INVOCATION: 16 };

export const KERNEL_PROFILES: Readonly<Record<KernelProfile['name'], KernelProfile>> = {
  tiled: {
    name: 'tiled',
    forward: 'matmulBiasActForward',
    gradWeights: 'matmulGradWeights',
    gradWeightsUpdate: 'matmulGradWeightsUpdate',
    gradInputActivationBackward: 'matmulGradInputActivationBackward',
    constants: KERNEL_CONSTANTS,
  },
  blocked: {
    name: 'blocked',
    forward: 'matmulBiasActForwardBlocked',
    gradWeights: 'matmulGradWeightsBlocked',
    gradWeightsUpdate: 'matmulGradWeightsUpdateBlocked',
    gradInputActivationBackward: 'matmulGradInputActivationBackwardBlocked',
    constants: SOFTWARE_CONSTANTS,
  },
  naive: {
    name: 'naive',
    forward: 'matmulBiasActForwardNaive',
    gradWeights: 'matmulGradWeightsNaive',
    gradWeightsUpdate: 'matmulGradWeightsUpdateNaive',
    gradInputActivationBackward: 'matmulGradInputActivationBackwardNaive',
    constants: SOFTWARE_CONSTANTS,
  },
};

/**
 * The fused trainer's versions (shaders/fused.wgsl, fusedSubgroup.wgsl), side by side; chooseFusedVariant
 * picks the one training uses. `lanes`: invocations of the one workgroup (FUSED_WORKGROUP).
 *   serial     one invocation, no barriers: every sample in turn.
 *   workgroup  `lanes` invocations, one sample each per tile; two barriers per tile, one per update.
 *   subgroup   one subgroup (lanes = the adapter's smallest subgroup size), a copy of the model per lane,
 *              four samples per lane as vec4 components; each lane sums its samples' gradient terms, then
 *              subgroupAdd across the lanes once per batch; no barrier. Needs 'subgroups'.
 */
export const FUSED_VARIANT_NAMES = ['serial', 'workgroup', 'subgroup'] as const;
export type FusedVariantName = (typeof FUSED_VARIANT_NAMES)[number];

export interface FusedVariant {
  name: FusedVariantName;
  kernel: 'fusedTrainSerial' | 'fusedTrainWorkgroup' | 'fusedTrainSubgroup';
  lanes: number;
}

/** Copies of the model in workgroup memory (MODEL_COPIES): one per lane for the subgroup version. */
export function modelCopies(variant: { name: FusedVariantName; lanes: number }): number {
  return variant.name === 'subgroup' ? variant.lanes : 1;
}

/** Samples one lane carries at once (the subgroup version's vec4 components; shaders/fusedSubgroup.wgsl). */
export function samplesPerLane(name: FusedVariantName): number {
  return name === 'serial' ? 1 : 4;
}

/**
 * Invocations of the workgroup version on CPU-emulated adapters, and the least on GPUs (where
 * src/gpu/plan.ts gpuWorkgroupLanes doubles it while the batch and workgroup memory allow): 16 lanes x 4
 * samples = 64 samples per tile, and the 2-12-5 assignment's scratch in 8 KiB of workgroup memory, under
 * the 16 KiB every device has. Measured on llvmpipe (bench/measure/fused.measure.ts): 16 and 32 alike, 8
 * slower.
 */
export const FUSED_WORKGROUP_LANES = 16;

/** The subgroup size a one-subgroup workgroup can rely on, or null without the 'subgroups' feature. */
export function subgroupLanes(ctx: GpuContext): number | null {
  if (!ctx.device.features.has('subgroups')) return null;
  const size = (ctx.adapterInfo as GPUAdapterInfo & { subgroupMinSize?: number }).subgroupMinSize;
  return size && size > 0 ? size : null;
}

/**
 * A fused variant on this device; `lanes` overrides the workgroup version's invocations. Throws when the
 * subgroup version is asked for on a device without subgroups.
 */
export function fusedVariant(ctx: GpuContext, name: FusedVariantName, lanes = 0): FusedVariant {
  switch (name) {
    case 'serial':
      return { name, kernel: 'fusedTrainSerial', lanes: 1 };
    case 'workgroup':
      return { name, kernel: 'fusedTrainWorkgroup', lanes: lanes > 0 ? lanes : FUSED_WORKGROUP_LANES };
    case 'subgroup': {
      const size = subgroupLanes(ctx);
      if (size === null) throw new GpuValidationError(`${ctx.adapterName}: the fused subgroup version needs the 'subgroups' feature, which this device does not have`);
      return { name, kernel: 'fusedTrainSubgroup', lanes: size };
    }
  }
}

/**
 * The fused version training uses, in one place (measured by bench/measure/fused.measure.ts).
 * CPU-emulated adapters pay dearly for every barrier (their invocations run as coroutines): subgroup where
 * the device has subgroups (SwiftShader: 4 lanes, one barrier per step), else workgroup (llvmpipe, whose
 * loop limit rules out serial). GPUs: workgroup (lanes: src/gpu/plan.ts gpuWorkgroupLanes), whose owner-summed
 * gradients cost a few barriers a tile where the subgroup version spends P subgroupAdds.
 */
export function chooseFusedVariant(ctx: GpuContext): FusedVariant {
  if (ctx.isSoftware && subgroupLanes(ctx) !== null) return fusedVariant(ctx, 'subgroup');
  return fusedVariant(ctx, 'workgroup');
}

/** Blocks of BLOCK_ROWS x 4 BLOCK_QUADS covering a (rows, columns) output. */
function blocks(rows: number, columns: number, c: KernelConstants): number {
  return Math.ceil(rows / c.BLOCK_ROWS) * Math.ceil(columns / (4 * c.BLOCK_QUADS));
}

/** Workgroups of a forward dispatch over n samples, `out` outputs. */
export function forwardWorkgroups(kernel: KernelProfile['forward'], n: number, outSize: number, c: KernelConstants): number[] {
  if (kernel === 'matmulBiasActForward') return [Math.ceil(outSize / c.TILE), Math.ceil(n / c.TILE)];
  if (kernel === 'matmulBiasActForwardBlocked') return grid1d(blocks(n, outSize, c), c.BLOCK_WORKGROUP);
  return grid1d(n * outSize, c.ELEMENTWISE_WORKGROUP);
}

/** Workgroups of a weight-gradient dispatch over n samples in rows of `chunk`. */
export function gradWeightsWorkgroups(kernel: KernelProfile['gradWeights'], n: number, outSize: number, inSize: number, chunk: number, c: KernelConstants): number[] {
  const rows = Math.ceil(n / chunk);
  if (kernel === 'matmulGradWeights') return [Math.ceil((inSize + 1) / c.TILE), Math.ceil(outSize / c.TILE), rows];
  if (kernel === 'matmulGradWeightsBlocked') return grid1d(rows * blocks(outSize, inSize + 1, c), c.BLOCK_WORKGROUP);
  return grid1d(rows * outSize * (inSize + 1), c.ELEMENTWISE_WORKGROUP);
}

/** Workgroups of a fused weight-gradient and update dispatch (one row of partial sums). */
export function gradWeightsUpdateWorkgroups(kernel: KernelProfile['gradWeightsUpdate'], outSize: number, inSize: number, c: KernelConstants): number[] {
  if (kernel === 'matmulGradWeightsUpdate') return [Math.ceil((inSize + 1) / c.TILE), Math.ceil(outSize / c.TILE)];
  if (kernel === 'matmulGradWeightsUpdateBlocked') return grid1d(blocks(outSize, inSize + 1, c), c.BLOCK_WORKGROUP);
  return grid1d(outSize * (inSize + 1), c.ELEMENTWISE_WORKGROUP);
}

/** Workgroups of an input-gradient dispatch over n samples, `in` inputs. */
export function gradInputWorkgroups(kernel: KernelProfile['gradInputActivationBackward'], n: number, inSize: number, c: KernelConstants): number[] {
  if (kernel === 'matmulGradInputActivationBackward') return [Math.ceil(inSize / c.TILE), Math.ceil(n / c.TILE)];
  if (kernel === 'matmulGradInputActivationBackwardBlocked') return grid1d(blocks(n, inSize, c), c.BLOCK_WORKGROUP);
  return grid1d(n * inSize, c.ELEMENTWISE_WORKGROUP);
}

/**
 * Storage buffers the kernels bind at most per stage (adamUpdate, matmulGradWeightsUpdate*, the forward,
 * the loss, the gather, the fused trainer: 4, compatibility mode's default).
 */
export const STORAGE_BUFFERS_NEEDED = 4;

/** Largest workgroup count in one dimension of a dispatch (WebGPU's default limit). */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/** Workgroups [x, y] covering `count` invocations of a 1-D kernel whose index is y * (x * size) + x_global. */
export function grid1d(count: number, workgroupSize: number): [number, number] {
  const groups = Math.max(1, Math.ceil(count / workgroupSize));
  if (groups <= MAX_WORKGROUPS_PER_DIMENSION) return [groups, 1];
  const y = Math.ceil(groups / MAX_WORKGROUPS_PER_DIMENSION);
  return [Math.ceil(groups / y), y];
}

/** The text of a module: its whole files, one after another. */
export function moduleSource(name: ModuleName): string {
  return MODULE_FILES[name].map(([, text]) => text).join('\n');
}

/**
 * Why BLOCK_ROWS or BLOCK_QUADS (where the kernel uses them) cannot be, or null: they must be integers from
 * 1 to their maxima, past which the blocked kernels would index their accumulator arrays out of bounds,
 * which WGSL clamps into wrong results rather than failing.
 */
export function blockConstantsProblem(constants: Readonly<Record<string, number>>): string | null {
  for (const [name, max] of [['BLOCK_ROWS', MAX_BLOCK_ROWS], ['BLOCK_QUADS', MAX_BLOCK_QUADS]] as const) {
    const value = constants[name];
    if (value !== undefined && !(Number.isInteger(value) && value >= 1 && value <= max)) return `${name} must be an integer from 1 to ${max}, got ${value}`;
  }
  return null;
}

const libraries = new WeakMap<GPUDevice, KernelLibrary>();

/**
 * Shader modules, bind group layouts and pipelines of one device, made once and shared by every trainer
 * and test on it (they hold no memory worth freeing early; they go with the device).
 */
export class KernelLibrary {
  private readonly modules = new Map<ModuleName, Promise<GPUShaderModule>>();
  private readonly layouts = new Map<KernelName, GPUBindGroupLayout>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  /** Group 1 of the kernels that read the step record. */
  readonly stepLayout: GPUBindGroupLayout;

  private constructor(private readonly ctx: GpuContext) {
    // The step record (step.wgsl): a uniform read at a dynamic offset.
    this.stepLayout = ctx.device.createBindGroupLayout({
      label: 'step record layout',
      entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } }],
    });
  }

  static for(ctx: GpuContext): KernelLibrary {
    let library = libraries.get(ctx.device);
    if (!library) {
      library = new KernelLibrary(ctx);
      libraries.set(ctx.device, library);
    }
    return library;
  }

  /** Group 0 layout of a kernel. */
  layout(kernel: KernelName): GPUBindGroupLayout {
    let layout = this.layouts.get(kernel);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = KERNELS[kernel].bindings.map(([binding, kind]) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: kind === 'uniform' ? 'uniform' : kind === 'read' ? 'read-only-storage' : 'storage' },
      }));
      layout = this.ctx.device.createBindGroupLayout({ label: `${kernel} layout`, entries });
      this.layouts.set(kernel, layout);
    }
    return layout;
  }

  /** A bind group for group 0 of a kernel: `resources` in the order of KERNELS[kernel].bindings. */
  bindGroup(kernel: KernelName, label: string, resources: readonly (GPUBuffer | GPUBufferBinding)[]): GPUBindGroup {
    const bindings = KERNELS[kernel].bindings;
    if (resources.length !== bindings.length) throw new Error(`${label}: ${kernel} takes ${bindings.length} bindings, got ${resources.length}`);
    return this.ctx.device.createBindGroup({
      label,
      layout: this.layout(kernel),
      entries: bindings.map(([binding], i) => {
        const r = resources[i];
        return { binding, resource: 'buffer' in r ? r : { buffer: r } };
      }),
    });
  }

  /**
   * The pipeline of a kernel with the given override constants; those not given come from
   * KERNEL_CONSTANTS (ACTIVATION: identity). Only the constants the entry point uses are passed.
   */
  pipeline(kernel: KernelName, overrides: Partial<Record<ConstantName, number>> = {}): Promise<GPUComputePipeline> {
    const info: KernelInfo = KERNELS[kernel];
    const constants: Record<string, number> = {};
    for (const name of info.constants) {
      const value = overrides[name] ?? (name === 'ACTIVATION' ? ACTIVATION_CODES.identity : name in KERNEL_CONSTANTS ? KERNEL_CONSTANTS[name as keyof typeof KERNEL_CONSTANTS] : undefined);
      if (value === undefined) throw new Error(`pipeline ${kernel}: override constant ${name} has no default and was not given`);
      constants[name] = value;
    }
    const key = `${kernel} ${JSON.stringify(constants)}`;
    const problem = blockConstantsProblem(constants);
    if (problem !== null) return Promise.reject(new GpuValidationError(`pipeline ${key} on ${this.ctx.adapterName}: ${problem}`));
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.createPipeline(kernel, info, constants, key);
      this.pipelines.set(key, pipeline);
      // A failed creation is not cached: the next call reports it again.
      pipeline.catch(() => this.pipelines.delete(key));
    }
    return pipeline;
  }

  private async createPipeline(kernel: KernelName, info: KernelInfo, constants: Record<string, number>, label: string): Promise<GPUComputePipeline> {
    const module = await this.module(info.module);
    const layouts = [this.layout(kernel)];
    if (info.step) layouts.push(this.stepLayout);
    const layout = this.ctx.device.createPipelineLayout({ label: `${kernel} pipeline layout`, bindGroupLayouts: layouts });
    try {
      return await this.ctx.device.createComputePipelineAsync({ label, layout, compute: { module, entryPoint: kernel, constants } });
    } catch (error) {
      throw new GpuValidationError(`pipeline ${label} on ${this.ctx.adapterName}: ${(error as Error).message}`);
    }
  }

  private module(name: ModuleName): Promise<GPUShaderModule> {
    let module = this.modules.get(name);
    if (!module) {
      module = this.compileModule(name);
      this.modules.set(name, module);
      module.catch(() => this.modules.delete(name));
    }
    return module;
  }

  private async compileModule(name: ModuleName): Promise<GPUShaderModule> {
    const module = await this.ctx.guarded(`shader module ${name}`, () => this.ctx.device.createShaderModule({ label: `${name} module`, code: moduleSource(name) }));
    const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      throw new GpuValidationError(`shader module ${name} on ${this.ctx.adapterName}: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
    }
    return module;
  }
}
