// Where `auto` should switch from the fused path to the general one (src/gpu/plan.ts FUSED_MAX_EPOCH_WORK):
// the 2-12-5 model, full batch, GD, at growing N on each software adapter, both paths in one process.
// Each pair is checked first (their first epochs' losses agree with each other within 1e-5), then timed:
// rounds of train(k) with the two paths interleaved (k sized to about 0.3 s), keeping each one's fastest
// round, since this machine's other load swings single runs. Prints a table; asserts nothing else.
// Software adapters emulate the GPU on this machine's CPU cores: these numbers say nothing about GPU speed.
//   npx vitest run --config bench/measure/vitest.config.ts crossover

import { it } from 'vitest';
import { DEFAULT_OPTIMIZER } from '../../src/cpu/optimizer.ts';
import { makeSyntheticSplit } from '../../src/data/synthetic.ts';
import { GpuTrainer } from '../../src/gpu/gpuTrainer.ts';
import { adapterKind, FUSED_MAX_EPOCH_WORK, fusedEpochWork, PlanError } from '../../src/gpu/plan.ts';
import { initParams, type MlpSpec } from '../../src/model/mlp.ts';
import type { TrainerOptions } from '../../src/train/trainer.ts';
import { SOFTWARE_ADAPTERS, tryAcquire } from '../../test/gpu/harness.ts';

const SIZES = (process.env.SIZES ?? '400,1000,3000,10000,30000,100000').split(',').map(Number);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const spec: MlpSpec = { layers: [2, 12, 5], activation: 'softplus' };

it('fused against general path by N', async () => {
  const rows = ['adapter | N | epoch work | fused ms/epoch | general ms/epoch | general / fused | auto takes'];
  for (const adapter of SOFTWARE_ADAPTERS) {
    const ctx = await tryAcquire(adapter);
    if (!ctx) continue;
    const kind = adapterKind(ctx.adapterName, ctx.isSoftware);
    for (const n of SIZES) {
      const { train } = makeSyntheticSplit('rings5', { trainSize: n, testSize: 0, seed: 1 });
      const options: TrainerOptions = { params: initParams(spec, 7), train, optimizer: { ...DEFAULT_OPTIMIZER, kind: 'gd', lr: 0.1 }, batchSize: 0, shuffleSeed: 1 };
      const work = fusedEpochWork(spec, n, 0);
      const auto = work <= FUSED_MAX_EPOCH_WORK[kind] ? 'fused' : 'general';
      let fused: GpuTrainer | null = null;
      try {
        fused = await GpuTrainer.create(ctx, options, { path: 'fused' });
      } catch (error) {
        if (!(error instanceof PlanError)) throw error;
      }
      const general = await GpuTrainer.create(ctx, options, { path: 'general' });
      const g = (await general.train(1))[0];
      if (fused) {
        const f = (await fused.train(1))[0];
        if (Math.abs(f.trainLoss - g.trainLoss) > 1e-5 * g.trainLoss) throw new Error(`${adapter} N=${n}: fused ${f.trainLoss} vs general ${g.trainLoss}`);
      }
      // Epochs per timed call: about 0.3 s of the slower path, from one more epoch of each.
      const probe = async (t: GpuTrainer) => {
        const start = performance.now();
        await t.train(2);
        return (performance.now() - start) / 2;
      };
      const slowest = Math.max(await probe(general), fused ? await probe(fused) : 0);
      const epochs = Math.max(2, Math.min(1000, Math.round(300 / slowest)));
      const best = { fused: Infinity, general: Infinity };
      for (let r = 0; r < ROUNDS; r++) {
        for (const [name, t] of [['fused', fused], ['general', general]] as const) {
          if (!t) continue;
          const start = performance.now();
          await t.train(epochs);
          best[name] = Math.min(best[name], (performance.now() - start) / epochs);
        }
      }
      const f = fused ? best.fused.toFixed(3) : 'does not run here';
      rows.push(`${adapter} | ${n} | ${work.toExponential(2)} | ${f} | ${best.general.toFixed(3)} | ${fused ? (best.general / best.fused).toFixed(2) : '-'} | ${auto}`);
      fused?.dispose();
      general.dispose();
    }
    ctx.destroy();
  }
  console.log(rows.join('\n'));
});
