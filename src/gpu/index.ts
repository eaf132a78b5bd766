// The WebGPU backend: the trainer, the device helpers (browser-safe; the Node adapter search is in
// nodeGpu.ts, imported separately so that bundles for the browser do not pull in Dawn), the kernel table
// and the buffer counter the leak test reads.

export { GpuTrainer } from './gpuTrainer.ts';
export { DEFAULT_GPU_TRAINER_SETTINGS, planTraining, PlanError, type GpuTrainerSettings, type TrainingPlan } from './plan.ts';
export { acquireBrowserGpu, describeAdapter, GpuContext, GpuDeviceLostError, GpuValidationError, isSoftwareAdapter, NoGpuError, type FeatureLevel } from './device.ts';
export { KERNEL_CONSTANTS, KERNEL_PROFILES, KERNELS, KernelLibrary, defaultProfile, type KernelName, type KernelProfile } from './kernels.ts';
export { liveBufferCount } from './buffers.ts';
