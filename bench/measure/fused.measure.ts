// The assignment's run (2-12-5 softplus, full-batch GD lr 0.1, 400 train + 100 test samples, 1000
// epochs) on each software adapter: every fused kernel version, the general path, and CpuTrainer.
// Not a test: it prints a table. Each configuration is first checked against the CPU over the whole run
// (per-epoch losses within 1e-5, final parameters within 1e-4, same accuracies), then timed: trainers and
// pipelines are made outside the timed region (their creation time is printed apart), one warm-up run,
// then ROUNDS rounds of the 1000 epochs with the configurations interleaved, keeping each one's fastest
// round (this machine's other load swings single runs by 2x). Software adapters emulate the GPU on this
// machine's CPU cores: these numbers say nothing about GPU speed.
//   npx vitest run --config bench/measure/vitest.config.ts fused

import { it } from 'vitest';
import { CpuTrainer } from '../../src/cpu/cpuTrainer.ts';
import { DEFAULT_OPTIMIZER } from '../../src/cpu/optimizer.ts';
import { makeSyntheticSplit } from '../../src/data/synthetic.ts';
import { GpuTrainer } from '../../src/gpu/gpuTrainer.ts';
import { FUSED_VARIANT_NAMES, subgroupLanes } from '../../src/gpu/kernels.ts';
import type { GpuTrainerSettings } from '../../src/gpu/plan.ts';
import { flattenParams, initParams } from '../../src/model/mlp.ts';
import type { EpochRecord } from '../../src/train/metrics.ts';
import type { Trainer, TrainerOptions } from '../../src/train/trainer.ts';
import { SOFTWARE_ADAPTERS, tryAcquire } from '../../test/gpu/harness.ts';

const EPOCHS = 1000;
const ROUNDS = Number(process.env.ROUNDS ?? 3);

interface Config {
  name: string;
  trainer: Trainer;
  createMs: number;
  best: number;
}

/** Throws unless a run's history and final parameters match the CPU reference's. */
function check(name: string, history: EpochRecord[], params: ArrayLike<number>, ref: { history: EpochRecord[]; params: ArrayLike<number> }): void {
  history.forEach((r, e) => {
    const c = ref.history[e];
    const bad = Math.abs(r.trainLoss - c.trainLoss) > 1e-5 * c.trainLoss || Math.abs(r.testLoss - c.testLoss) > 1e-5 * c.testLoss || r.trainAccuracy !== c.trainAccuracy || r.testAccuracy !== c.testAccuracy;
    if (bad) throw new Error(`${name}: epoch ${e + 1} ${JSON.stringify(r)} vs CPU ${JSON.stringify(c)}`);
  });
  Array.from(ref.params).forEach((p, i) => {
    if (Math.abs(params[i] - p) > 1e-4 * Math.abs(p) + 1e-6) throw new Error(`${name}: parameter ${i} ${params[i]} vs CPU ${p}`);
  });
}

it('the assignment run per path and fused version', async () => {
  const data = makeSyntheticSplit('rings5', { seed: 1 });
  const options: TrainerOptions = { params: initParams({ layers: [2, 12, 5], activation: 'softplus' }, 7), ...data, optimizer: { ...DEFAULT_OPTIMIZER, kind: 'gd', lr: 0.1 }, batchSize: 0, shuffleSeed: 3 };
  const cpuRef = new CpuTrainer(options);
  const ref = { history: await cpuRef.train(EPOCHS), params: flattenParams(await cpuRef.getParams()) };
  const rows: string[] = ['adapter | configuration | ms/epoch | 1000 epochs (ms) | x CPU | dispatches/epoch | submissions/epoch | create (ms)'];
  for (const adapter of SOFTWARE_ADAPTERS) {
    const ctx = await tryAcquire(adapter);
    if (!ctx) continue;
    const configs: Config[] = [{ name: 'CPU reference (float32)', trainer: new CpuTrainer(options), createMs: 0, best: Infinity }];
    const settings: [string, Partial<GpuTrainerSettings>][] = [];
    for (const variant of FUSED_VARIANT_NAMES) {
      if (variant === 'subgroup' && subgroupLanes(ctx) === null) continue;
      if (variant === 'workgroup') for (const lanes of [4, 16, 32]) settings.push([`fused workgroup, ${lanes} invocations`, { path: 'fused', fusedVariant: variant, fusedLanes: lanes }]);
      else settings.push([`fused ${variant}`, { path: 'fused', fusedVariant: variant }]);
    }
    settings.push(['general, blocked kernels', { path: 'general', kernels: 'blocked' }]);
    settings.push(['auto (production)', {}]);
    for (const [name, s] of settings) {
      const started = performance.now();
      let gpu: GpuTrainer;
      try {
        gpu = await GpuTrainer.create(ctx, options, s);
      } catch (error) {
        rows.push(`${adapter} | ${name} | does not run here: ${(error as Error).message.slice(0, 160)}`);
        continue;
      }
      const createMs = performance.now() - started;
      // Correctness first: the whole run against the CPU's (this is also the warm-up).
      check(`${adapter} ${name}`, await gpu.train(EPOCHS), flattenParams(await gpu.getParams()), ref);
      configs.push({ name: `${name}: ${gpu.deviceName}`, trainer: gpu, createMs, best: Infinity });
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of configs) {
        const start = performance.now();
        await c.trainer.train(EPOCHS);
        c.best = Math.min(c.best, performance.now() - start);
      }
    }
    const cpuMs = configs[0].best;
    for (const c of configs) {
      const gpu = c.trainer instanceof GpuTrainer ? c.trainer : null;
      const perEpoch = gpu ? `${gpu.dispatchesPerEpoch.toFixed(3)} | ${gpu.submissionsPerEpoch.toFixed(3)}` : '- | -';
      rows.push(`${adapter} | ${c.name} | ${(c.best / EPOCHS).toFixed(3)} | ${c.best.toFixed(0)} | ${(c.best / cpuMs).toFixed(2)} | ${perEpoch} | ${c.createMs.toFixed(0)}`);
      c.trainer.dispose();
    }
    ctx.destroy();
  }
  console.log(rows.join('\n'));
});
