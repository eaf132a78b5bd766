// wgtrain's CPU reference (src/cpu/cpuTrainer.ts), float32: the specification every other system is
// checked against, and a system in its own right (its target: no slower than TF.js wasm on W1 and W2).

import { cpus } from 'node:os';
import { CpuTrainer } from '../../src/cpu/cpuTrainer.ts';
import { DEFAULT_OPTIMIZER } from '../../src/cpu/optimizer.ts';
import type { MlpParams } from '../../src/model/mlp.ts';
import { SHUFFLE_SEED, type WorkloadInputs } from '../workloads.ts';
import type { System, TrainingRun } from './system.ts';

/** The CPU model name and core count, for the adapter column of CPU rows. */
export function cpuName(): string {
  const list = cpus();
  return `${list[0]?.model.trim() ?? 'unknown CPU'} (${list.length} cores)`;
}

/** A CpuTrainer on the workload's data and initial parameters, plain GD/SGD at the workload's rate. */
export function referenceTrainer(inputs: WorkloadInputs): CpuTrainer {
  return new CpuTrainer({
    params: inputs.params,
    train: inputs.train,
    optimizer: { ...DEFAULT_OPTIMIZER, kind: 'gd', lr: inputs.workload.lr },
    batchSize: inputs.workload.batchSize,
    shuffleSeed: SHUFFLE_SEED,
  });
}

export class WgtrainCpuSystem implements System {
  readonly id = 'wgtrain-cpu' as const;
  readonly device = 'cpu' as const;
  readonly adapterName = cpuName();
  readonly software = false;
  readonly timestamps = false;

  variants(): string[] {
    return ['float32'];
  }

  async start(inputs: WorkloadInputs): Promise<TrainingRun> {
    const trainer = referenceTrainer(inputs);
    return {
      label: 'wgtrain CPU reference (float32, single thread)',
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
