// Epochs per second of GpuTrainer next to CpuTrainer on the software adapters, and the fixed cost of one
// dispatch (the noop kernel): the general path with each kernel profile, and the fused path where it runs
// (the assignment run per fused version is in fused.measure.ts). Each configuration is first checked against the CPU (the first epoch's
// record), then timed after a warm-up, with data, trainers and pipelines made outside the timed region.
// Software adapters emulate the GPU on this machine's CPU cores: these numbers say nothing about GPU speed.

import { it } from 'vitest';
import { CpuTrainer } from '../../src/cpu/cpuTrainer.ts';
import { DEFAULT_OPTIMIZER } from '../../src/cpu/optimizer.ts';
import { makeSyntheticSplit } from '../../src/data/synthetic.ts';
import type { GpuContext } from '../../src/gpu/device.ts';
import { GpuTrainer } from '../../src/gpu/gpuTrainer.ts';
import { KernelLibrary } from '../../src/gpu/kernels.ts';
import { initParams } from '../../src/model/mlp.ts';
import type { Trainer, TrainerOptions } from '../../src/train/trainer.ts';
import { SOFTWARE_ADAPTERS, tryAcquire } from '../../test/gpu/harness.ts';

/** Milliseconds per dispatch of the noop kernel, 2000 dispatches in one pass, after a warm-up. */
async function dispatchCost(ctx: GpuContext): Promise<number> {
  const pipeline = await KernelLibrary.for(ctx).pipeline('noop');
  const bindGroup = ctx.device.createBindGroup({ label: 'noop', layout: pipeline.getBindGroupLayout(0), entries: [] });
  const run = async (count: number) => {
    const encoder = ctx.device.createCommandEncoder({ label: 'noop' });
    const pass = encoder.beginComputePass({ label: 'noop' });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    for (let i = 0; i < count; i++) pass.dispatchWorkgroups(1);
    pass.end();
    const start = performance.now();
    ctx.device.queue.submit([encoder.finish()]);
    await ctx.device.queue.onSubmittedWorkDone();
    return (performance.now() - start) / count;
  };
  await run(100);
  return run(2000);
}

async function epochsPerSecond(trainer: Trainer, warmup: number, epochs: number): Promise<number> {
  await trainer.train(warmup);
  const start = performance.now();
  await trainer.train(epochs);
  return epochs / ((performance.now() - start) / 1000);
}

it('throughput', async () => {
  const rows: string[] = [];
  const configs = [
    { name: '2-12-5 softplus, N=400, full-batch GD', trainSize: 400, batchSize: 0, kind: 'gd' as const, epochs: { cpu: 1000, gpu: 500 } },
    { name: '2-12-5 softplus, N=400, batch 32 Adam', trainSize: 400, batchSize: 32, kind: 'adam' as const, epochs: { cpu: 200, gpu: 100 } },
    { name: '2-12-5 softplus, N=100000, full-batch GD', trainSize: 100_000, batchSize: 0, kind: 'gd' as const, epochs: { cpu: 10, gpu: 10 } },
  ];
  for (const c of configs) {
    const data = makeSyntheticSplit('rings5', { seed: 1, trainSize: c.trainSize, testSize: 100 });
    const options: TrainerOptions = { params: initParams({ layers: [2, 12, 5], activation: 'softplus' }, 7), ...data, optimizer: { ...DEFAULT_OPTIMIZER, kind: c.kind, lr: c.kind === 'adam' ? 0.01 : 0.1 }, batchSize: c.batchSize, shuffleSeed: 3 };
    const cpuRate = await epochsPerSecond(new CpuTrainer(options), 2, c.epochs.cpu);
    rows.push(`${c.name} | CPU reference (float32) | - | ${cpuRate.toFixed(1)} epochs/s`);
    for (const adapter of SOFTWARE_ADAPTERS) {
      const ctx = await tryAcquire(adapter);
      if (!ctx) continue;
      for (const kernels of ['naive', 'blocked', 'tiled', 'fused'] as const) {
        if (kernels === 'tiled' && adapter === 'swiftshader' && c.trainSize > 400) continue;
        const settings = kernels === 'fused' ? { path: 'fused' as const } : { path: 'general' as const, kernels };
        let gpu: GpuTrainer;
        try {
          gpu = await GpuTrainer.create(ctx, options, { ...settings, readbackEvery: 100 });
        } catch (error) {
          rows.push(`${c.name} | ${adapter} | ${kernels} | does not run: ${(error as Error).message.slice(0, 120)}`);
          continue;
        }
        try {
          // Correctness first: the first epoch against a fresh CPU run.
          const [g] = await gpu.train(1);
          const [r] = await new CpuTrainer(options).train(1);
          if (Math.abs(g.trainLoss - r.trainLoss) > 1e-5 * r.trainLoss || g.trainAccuracy !== r.trainAccuracy) {
            throw new Error(`${c.name} on ${adapter} ${kernels}: first epoch ${JSON.stringify(g)} vs CPU ${JSON.stringify(r)}`);
          }
          const rate = await epochsPerSecond(gpu, Math.min(10, c.epochs.gpu), kernels === 'tiled' && adapter === 'swiftshader' ? 20 : c.epochs.gpu);
          rows.push(`${c.name} | ${adapter} | ${kernels} | ${rate.toFixed(1)} epochs/s (${(rate / cpuRate).toFixed(2)}x CPU, ${gpu.dispatchesPerEpoch.toFixed(3)} dispatches/epoch)`);
        } finally {
          gpu.dispose();
        }
      }
      if (c === configs[0]) rows.push(`noop dispatch | ${adapter} | - | ${(await dispatchCost(ctx)).toFixed(3)} ms/dispatch`);
      ctx.destroy();
    }
  }
  console.log(['configuration | device | kernels | rate', ...rows].join('\n'));
});
