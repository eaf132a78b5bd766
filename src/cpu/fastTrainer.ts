// The fast CPU trainer (float32): CpuTrainer's batching, shuffling, optimizer steps and evaluation,
// over the fused per-sample network of fastNetwork.ts instead of the reference's kernel-by-kernel
// passes. What `--backend cpu` and the no-WebGPU fallback run; test/cpu/fastTrainer.test.ts ties its
// losses and parameters to the reference's.

import type { TrainerOptions } from '../train/trainer.ts';
import { CpuTrainer, type CpuNetworkKind } from './cpuTrainer.ts';
import { FastNetwork } from './fastNetwork.ts';

export const FAST_NETWORK: CpuNetworkKind = {
  deviceName: 'CPU (fast float32)',
  // One sample at a time: its scratch does not grow with the batch.
  create: (params) => new FastNetwork(params),
};

export class FastCpuTrainer extends CpuTrainer {
  constructor(options: TrainerOptions) {
    super(options, FAST_NETWORK);
  }
}
