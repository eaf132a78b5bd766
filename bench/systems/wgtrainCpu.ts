// wgtrain's CPU trainers as systems. The reference (src/cpu/cpuTrainer.ts), float32: the specification
// every other system is checked against, and a system in its own right. The fast trainer
// (src/cpu/fastTrainer.ts), what `--backend cpu` runs: its target, no slower than TF.js wasm on W1 and W2.

import { cpus } from 'node:os';
import { CpuTrainer, REFERENCE_NETWORK, type CpuNetworkKind } from '../../src/cpu/cpuTrainer.ts';
import { FAST_NETWORK } from '../../src/cpu/fastTrainer.ts';
import { DEFAULT_OPTIMIZER } from '../../src/cpu/optimizer.ts';
import type { MlpParams } from '../../src/model/mlp.ts';
import { SHUFFLE_SEED, type WorkloadInputs } from '../workloads.ts';
import type { System, SystemId, TrainingRun } from './system.ts';

/** The CPU model name and core count, for the adapter column of CPU rows. */
export function cpuName(): string {
  const list = cpus();
  return `${list[0]?.model.trim() ?? 'unknown CPU'} (${list.length} cores)`;
}

/** A CPU trainer (the reference unless another network is given) on the workload's data and initial parameters, plain GD/SGD at the workload's rate. */
export function referenceTrainer(inputs: WorkloadInputs, kind: CpuNetworkKind = REFERENCE_NETWORK): CpuTrainer {
  return new CpuTrainer(
    {
      params: inputs.params,
      train: inputs.train,
      optimizer: { ...DEFAULT_OPTIMIZER, kind: 'gd', lr: inputs.workload.lr },
      batchSize: inputs.workload.batchSize,
      shuffleSeed: SHUFFLE_SEED,
    },
    kind,
  );
}

/** One of wgtrain's CPU trainers, single thread. */
abstract class CpuTrainerSystem implements System {
  readonly device = 'cpu' as const;
  readonly adapterName = cpuName();
  readonly software = false;
  readonly timestamps = false;
  abstract readonly id: SystemId;
  protected abstract readonly kind: CpuNetworkKind;
  protected abstract readonly label: string;

  variants(): string[] {
    return ['float32'];
  }

  async start(inputs: WorkloadInputs): Promise<TrainingRun> {
    const trainer = referenceTrainer(inputs, this.kind);
    return {
      label: this.label,
      gpuDevice: null,
      reportedDispatchesPerEpoch: null,
      prepare: async () => {},
      train: async (epochs: number) => {
        await trainer.train(epochs);
      },
      params: (): Promise<MlpParams> => trainer.getParams(),
      dispose: () => trainer.dispose(),
    };
  }

  async close(): Promise<void> {}
}

export class WgtrainCpuSystem extends CpuTrainerSystem {
  readonly id = 'wgtrain-cpu' as const;
  protected readonly kind = REFERENCE_NETWORK;
  protected readonly label = 'wgtrain CPU reference (float32, single thread)';
}

export class WgtrainCpuFastSystem extends CpuTrainerSystem {
  readonly id = 'wgtrain-cpu-fast' as const;
  protected readonly kind = FAST_NETWORK;
  protected readonly label = 'wgtrain CPU fast (float32, blocked and fused, single thread)';
}
