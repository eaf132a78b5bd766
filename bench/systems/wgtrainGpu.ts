// wgtrain's WebGPU backend (src/gpu/gpuTrainer.ts) on one adapter, with its default settings (what a
// user gets): kernels 'auto' (blocked on CPU-emulated adapters, tiled elsewhere), readbackEvery 100,
// stepsPerSubmit 1024.
//
// THE PATH DIMENSION. GpuTrainerSettings is getting `path: 'auto' | 'fused' | 'general'` (a fused
// small-model path) with `GpuTrainer.path` and `GpuTrainer.dispatchesPerEpoch`. PATHS_SUPPORTED reads
// whether this build has it. When it does, every workload runs with path 'auto' and once more with the
// path auto did not choose ('general' after a fused auto; 'fused' after a general auto, where the model
// fits the fused kernel on that adapter), so both show side by side; rows name the path the trainer
// reports. When it does not, the trainer is the general path and rows say so.

import { DEFAULT_OPTIMIZER } from '../../src/cpu/optimizer.ts';
import type { GpuContext } from '../../src/gpu/device.ts';
import { GpuTrainer } from '../../src/gpu/gpuTrainer.ts';
import { acquireNodeGpu } from '../../src/gpu/nodeGpu.ts';
import { DEFAULT_GPU_TRAINER_SETTINGS, PlanError, type GpuTrainerSettings } from '../../src/gpu/plan.ts';
import { SHUFFLE_SEED, type WorkloadInputs } from '../workloads.ts';
import type { DeviceKey, System, TrainingRun } from './system.ts';

/** Whether this build of GpuTrainer has the `path` setting (fused small-model path vs general). */
export const PATHS_SUPPORTED = 'path' in DEFAULT_GPU_TRAINER_SETTINGS;

/** What GpuTrainer reports about its path, when the build has paths. */
interface PathReport {
  path?: string;
  dispatchesPerEpoch?: number;
}

export class WgtrainGpuSystem implements System {
  readonly id = 'wgtrain-gpu' as const;
  readonly adapterName: string;
  readonly software: boolean;
  readonly timestamps: boolean;
  /** The path 'auto' chose per workload (filled by start with variant 'auto'). */
  private readonly autoPath = new Map<string, string>();

  private constructor(
    readonly device: Exclude<DeviceKey, 'cpu'>,
    /** The device (the kernel microbenchmarks use it too). */
    readonly ctx: GpuContext,
  ) {
    this.adapterName = ctx.adapterName + (ctx.featureLevel === 'compatibility' ? ' [compatibility mode]' : '');
    this.software = ctx.isSoftware;
    this.timestamps = ctx.hasTimestamps;
  }

  /** The system on an adapter; throws (NoGpuError) when the adapter does not start here. */
  static async open(device: Exclude<DeviceKey, 'cpu'>): Promise<WgtrainGpuSystem> {
    return new WgtrainGpuSystem(device, await acquireNodeGpu(device));
  }

  variants(): string[] {
    if (!PATHS_SUPPORTED) return ['general'];
    // After 'auto', the path it did not choose (decided in start()).
    return ['auto', 'general', 'fused'];
  }

  async start(inputs: WorkloadInputs, variant: string): Promise<TrainingRun> {
    const key = inputs.workload.id;
    if (PATHS_SUPPORTED && variant !== 'auto' && (this.autoPath.get(key) ?? 'general') === variant) {
      throw new SkipVariant(`path 'auto' already chose the ${variant} path for ${key}`);
    }
    // Typed loosely so this file compiles with and without the path setting.
    const settings = (PATHS_SUPPORTED ? { path: variant } : {}) as unknown as Partial<GpuTrainerSettings>;
    let trainer: GpuTrainer;
    try {
      trainer = await GpuTrainer.create(
        this.ctx,
        {
          params: inputs.params,
          train: inputs.train,
          optimizer: { ...DEFAULT_OPTIMIZER, kind: 'gd', lr: inputs.workload.lr },
          batchSize: inputs.workload.batchSize,
          shuffleSeed: SHUFFLE_SEED,
        },
        settings,
      );
    } catch (error) {
      // The fused path refuses a model it cannot run here (workgroup memory, llvmpipe's loop limit).
      if (variant === 'fused' && error instanceof PlanError) throw new SkipVariant(`the fused path cannot run ${key} here: ${error.message}`);
      throw error;
    }
    const report = trainer as unknown as PathReport;
    const path = report.path ?? 'general';
    if (PATHS_SUPPORTED && variant === 'auto') this.autoPath.set(key, path);
    const pathText = PATHS_SUPPORTED ? `${path} path${variant === 'auto' ? ' (auto)' : ''}` : 'general path (this build has no path setting)';
    return {
      label: `wgtrain GPU, ${pathText}, ${trainer.profile.name} kernels`,
      gpuDevice: this.ctx.device,
      reportedDispatchesPerEpoch: typeof report.dispatchesPerEpoch === 'number' ? report.dispatchesPerEpoch : null,
      prepare: async () => {},
      train: async (epochs: number) => {
        await trainer.train(epochs);
      },
      params: () => trainer.getParams(),
      dispose: () => trainer.dispose(),
    };
  }

  async close(): Promise<void> {
    this.ctx.destroy();
  }
}

/** Thrown by start() for a variant that would repeat another one: the suite records nothing for it. */
export class SkipVariant extends Error {
  override readonly name = 'SkipVariant';
}

/** The default settings this build runs with, for the report. */
export function gpuSettingsText(): string {
  const s = DEFAULT_GPU_TRAINER_SETTINGS as Readonly<GpuTrainerSettings> & { path?: string };
  return `kernels ${s.kernels}, readbackEvery ${s.readbackEvery}, stepsPerSubmit ${s.stepsPerSubmit}${s.path ? `, path ${s.path}` : ''}`;
}
