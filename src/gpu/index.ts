// The WebGPU backend: the trainer (settings.path: 'auto' | 'fused' | 'general'), the device helpers
// (browser-safe; the Node adapter search is in nodeGpu.ts, imported separately so that bundles for the
// browser do not pull in Dawn), the kernel table and the buffer counter the leak test reads.

export { GpuTrainer, type WorkCounts } from './gpuTrainer.ts';
export {
  DEFAULT_GPU_TRAINER_SETTINGS,
  fusedIneligibility,
  GPU_PATHS,
  planFused,
  planTraining,
  PlanError,
  type FusedPlan,
  type GpuPath,
  type GpuTrainerSettings,
  type TrainingPlan,
} from './plan.ts';
export { acquireBrowserGpu, describeAdapter, GpuContext, GpuDeviceLostError, GpuValidationError, isSoftwareAdapter, NoGpuError, type FeatureLevel } from './device.ts';
export {
  chooseFusedVariant,
  FUSED_VARIANT_NAMES,
  KERNEL_CONSTANTS,
  KERNEL_PROFILES,
  KERNELS,
  KernelLibrary,
  type FusedVariant,
  type FusedVariantName,
  type KernelName,
  type KernelProfile,
} from './kernels.ts';
export { liveBufferCount } from './buffers.ts';
