import { makeSyntheticSplit } from './src/data/synthetic.ts';
import { CpuTrainer } from './src/cpu/cpuTrainer.ts';
import { initParams } from './src/model/mlp.ts';
import { DEFAULT_OPTIMIZER } from './src/cpu/optimizer.ts';
for (const [n, layers, epochs] of [[400, [2,12,5], 3000], [100000, [2,12,5], 15], [16384, [2,256,256,5], 2]] as const) {
  const split = makeSyntheticSplit('rings5', { seed: 1, trainSize: n, testSize: 0 });
  const t = new CpuTrainer({ params: initParams({ layers: [...layers], activation: 'softplus' }, 1), train: split.train, optimizer: DEFAULT_OPTIMIZER, batchSize: 0, shuffleSeed: 1 });
  await t.train(Math.max(1, epochs / 5));
  const times: number[] = [];
  for (let r = 0; r < 3; r++) { const t0 = performance.now(); await t.train(epochs); times.push((performance.now() - t0) / epochs); }
  times.sort((a, b) => a - b);
  const h = await t.train(1);
  console.log(n, layers.join('-'), times[1].toFixed(3), 'ms/epoch', 'loss', h[0].trainLoss);
}
