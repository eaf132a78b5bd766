// The one interface every benchmarked system implements (wgtrain's CPU reference, fast CPU trainer and GPU backend,
// TensorFlow.js on its cpu, wasm and webgpu backends), so the suite drives them all the same way.

import type { MlpParams } from '../../src/model/mlp.ts';
import type { WorkloadInputs } from '../workloads.ts';

export const SYSTEM_IDS = ['wgtrain-cpu', 'wgtrain-cpu-fast', 'wgtrain-gpu', 'tfjs-cpu', 'tfjs-wasm', 'tfjs-webgpu'] as const;
export type SystemId = (typeof SYSTEM_IDS)[number];

/** Where a system computes: the CPU, or a WebGPU adapter by choice name. */
export type DeviceKey = 'cpu' | 'hardware' | 'swiftshader' | 'llvmpipe';

/** One system on one device, able to start training runs. */
export interface System {
  readonly id: SystemId;
  readonly device: DeviceKey;
  /** The adapter's own description ("SwiftShader driver 5.0.0 (google swiftshader, vulkan)"), or the CPU's. */
  readonly adapterName: string;
  /** CPU-emulated adapter (its figures are never GPU speed). */
  readonly software: boolean;
  /** Whether GPU time can be read from timestamp queries. */
  readonly timestamps: boolean;
  /**
   * Starts runs of a workload: one per variant the system has for it (the wgtrain GPU backend may have
   * several paths). Inputs are uploaded and programs built here, outside any timed region.
   */
  variants(inputs: WorkloadInputs): string[];
  start(inputs: WorkloadInputs, variant: string): Promise<TrainingRun>;
  /** Frees the device or backend. */
  close(): Promise<void>;
}

/** One training run from the workload's initial parameters. */
export interface TrainingRun {
  /** What exactly ran, with its parameters: "wgtrain GPU, general path, naive kernels". */
  readonly label: string;
  /** Untimed preparation of the next train(epochs) call (e.g. the batch orders of those epochs). */
  prepare(epochs: number): Promise<void>;
  /** Trains `epochs` more epochs; resolves when the work is done (results on the host or synced). */
  train(epochs: number): Promise<void>;
  /** The current parameters, in wgtrain's layout (W (out, in), b (out) per layer). */
  params(): Promise<MlpParams>;
  /** The device to instrument for dispatch counts and GPU time (GPU systems only). */
  readonly gpuDevice: GPUDevice | null;
  /** Dispatches the system itself reports per epoch, when it does (wgtrain's fused/general paths). */
  readonly reportedDispatchesPerEpoch: number | null;
  dispose(): void;
}
