// Choosing and creating the trainer for a backend request. Never a silent fallback: `auto` reports which
// backend it chose and why; an explicit `gpu` that cannot start is an error. The CPU runs the fast
// trainer (src/cpu/fastTrainer.ts); `cpu-reference` runs the specification it is tested against.

import { CpuTrainer, REFERENCE_NETWORK } from '../cpu/cpuTrainer.ts';
import { FAST_NETWORK, FastCpuTrainer } from '../cpu/fastTrainer.ts';
import { NoGpuError, type GpuContext } from '../gpu/device.ts';
import type { GpuTrainerSettings } from '../gpu/plan.ts';
import type { Trainer, TrainerOptions } from './trainer.ts';

export const BACKEND_CHOICES = ['cpu', 'cpu-reference', 'gpu', 'auto'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** A trainer and the device it holds; release() frees both. */
export interface TrainerHandle {
  trainer: Trainer;
  /** The GPU context when the trainer runs on the GPU (owned by the handle). */
  context: GpuContext | null;
  /** One line for the user: which backend runs and, for `auto`, why. */
  note: string;
  release(): void;
}

export interface BackendRequest {
  backend: BackendChoice;
  /** Provides a GPU device: acquireNodeGpu in Node, acquireBrowserGpu in the page. */
  acquireGpu: () => Promise<GpuContext>;
  /** GPU trainer knobs (e.g. path: 'fused' | 'general'); defaults in src/gpu/plan.ts. */
  gpuSettings?: Partial<GpuTrainerSettings>;
}

/** A CPU trainer: the fast one, or the reference when asked for by name. */
export function cpuHandle(options: TrainerOptions, note: string, reference = false): TrainerHandle {
  const trainer = reference ? new CpuTrainer(options) : new FastCpuTrainer(options);
  return { trainer, context: null, note, release: () => trainer.dispose() };
}

/** Starts a GPU trainer on the device `acquireGpu` gives (a fresh one, or a borrow); release() destroys it. */
export async function gpuHandle(
  options: TrainerOptions,
  request: BackendRequest,
  note: (adapter: string) => string,
): Promise<TrainerHandle> {
  const context = await request.acquireGpu();
  try {
    const { GpuTrainer } = await import('../gpu/gpuTrainer.ts');
    const trainer = await GpuTrainer.create(context, options, request.gpuSettings);
    return {
      trainer,
      context,
      note: note(context.adapterName),
      release: () => {
        trainer.dispose();
        context.destroy();
      },
    };
  } catch (error) {
    context.destroy();
    throw error;
  }
}

export async function createTrainer(options: TrainerOptions, request: BackendRequest): Promise<TrainerHandle> {
  switch (request.backend) {
    case 'cpu':
      return cpuHandle(options, `backend cpu: ${FAST_NETWORK.deviceName}`);
    case 'cpu-reference':
      return cpuHandle(options, `backend cpu-reference: ${REFERENCE_NETWORK.deviceName}`, true);
    case 'gpu':
      return gpuHandle(options, request, (adapter) => `backend gpu: ${adapter}`);
    case 'auto':
      try {
        return await gpuHandle(options, request, (adapter) => `backend auto chose gpu: ${adapter}`);
      } catch (error) {
        if (!(error instanceof NoGpuError)) throw error;
        return cpuHandle(options, `backend auto chose cpu: ${error.message}`);
      }
  }
}
