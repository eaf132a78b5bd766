// Driving a Trainer for many epochs: in chunks, so progress can be shown without reading back every
// epoch, and with a way to continue on another backend when the device is lost mid-run.

import { GpuDeviceLostError } from '../gpu/device.ts';
import type { EpochRecord } from './metrics.ts';
import type { Checkpoint, Trainer } from './trainer.ts';

export interface LoopOptions {
  /**
   * Epochs in the first train() call (one readback on the GPU). Later calls grow or shrink so that each
   * takes about `targetMs`: progress stays fresh without a readback every few epochs.
   */
  chunk: number;
  /** Wall time aimed at per train() call; default 100 ms. */
  targetMs?: number;
  /** Called after every chunk with all records so far. */
  onProgress?: (history: readonly EpochRecord[], trainer: Trainer) => void;
  /**
   * Called when the device is lost: returns the trainer to continue on (started from the checkpoint),
   * or null to stop with the error. `notice` explains what happened, for the user.
   */
  onDeviceLost?: (checkpoint: Checkpoint, error: GpuDeviceLostError) => Promise<Trainer | null>;
}

export interface LoopResult {
  history: EpochRecord[];
  /** The trainer that finished the run (another one than given if training moved after a device loss). */
  trainer: Trainer;
}

/** Trains `epochs` epochs; history[i].epoch === i + 1 (continuing from the trainer's epochsDone + 1). */
export async function trainFor(trainer: Trainer, epochs: number, options: LoopOptions): Promise<LoopResult> {
  const history: EpochRecord[] = [];
  const firstEpoch = trainer.epochsDone;
  const target = firstEpoch + epochs;
  const targetMs = options.targetMs ?? 100;
  let chunk = Math.max(1, Math.floor(options.chunk));
  let current = trainer;
  while (current.epochsDone < target) {
    const count = Math.min(chunk, target - current.epochsDone);
    const started = performance.now();
    try {
      history.push(...(await current.train(count)));
      const elapsed = performance.now() - started;
      // At most doubling or halving per call, so one slow or fast chunk does not swing it far.
      chunk = Math.max(1, Math.round(count * Math.min(2, Math.max(0.5, targetMs / Math.max(elapsed, 1e-3)))));
    } catch (error) {
      if (!(error instanceof GpuDeviceLostError) || !options.onDeviceLost) throw error;
      const checkpoint = current.checkpoint();
      const next = await options.onDeviceLost(checkpoint, error);
      if (!next) throw error;
      // Epochs trained after the checkpoint were lost with the device; they are trained again.
      history.length = Math.max(0, checkpoint.epochsDone - firstEpoch);
      current = next;
      continue;
    }
    options.onProgress?.(history, current);
  }
  return { history, trainer: current };
}
