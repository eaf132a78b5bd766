import { test } from 'vitest';
import { CpuTrainer } from '../../src/cpu/cpuTrainer.ts';
import { DEFAULT_OPTIMIZER } from '../../src/cpu/optimizer.ts';
import { makeSyntheticSplit } from '../../src/data/synthetic.ts';
import { GpuTrainer } from '../../src/gpu/gpuTrainer.ts';
import { acquireNodeGpu } from '../../src/gpu/nodeGpu.ts';
import { initParams } from '../../src/model/mlp.ts';
test('speed', async () => {
  const split = makeSyntheticSplit('rings5', { seed: 1 });
  const o = { params: initParams({ layers: [2, 12, 5], activation: 'softplus' }, 1), train: split.train, test: split.test, optimizer: DEFAULT_OPTIMIZER, batchSize: 0, shuffleSeed: 1 };
  const ctx = await acquireNodeGpu((process.env.ADAPTER ?? 'swiftshader') as 'swiftshader');
  const g = await GpuTrainer.create(ctx, o, { path: 'fused', fusedVariant: (process.env.VARIANT ?? "auto") as "auto", fusedLanes: Number(process.env.LANES ?? 0) });
  const c = new CpuTrainer(o);
  await g.train(1000); await c.train(1000);
  const best = { g: Infinity, c: Infinity };
  for (let r = 0; r < 4; r++) {
    let t = performance.now(); await g.train(1000); best.g = Math.min(best.g, performance.now() - t);
    t = performance.now(); await c.train(1000); best.c = Math.min(best.c, performance.now() - t);
  }
  console.log(g.deviceName, 'gpu ms/epoch', (best.g / 1000).toFixed(3), 'cpu', (best.c / 1000).toFixed(3), 'ratio', (best.g / best.c).toFixed(2));
  g.dispose(); ctx.destroy();
}, 600000);
