// GpuContext.borrow: many consumers that destroy what they are given (runSweep, createTrainer's handle)
// share one device and its compiled pipelines; ending a borrow leaves the device alive; losing the
// lender's device is reported to every borrow.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSyntheticSplit } from '../../src/data/synthetic.ts';
import { GpuDeviceLostError, type GpuContext } from '../../src/gpu/device.ts';
import { GpuTrainer } from '../../src/gpu/gpuTrainer.ts';
import { KernelLibrary } from '../../src/gpu/kernels.ts';
import { initParams } from '../../src/model/mlp.ts';
import { DEFAULT_OPTIMIZER } from '../../src/cpu/optimizer.ts';
import type { TrainerOptions } from '../../src/train/trainer.ts';
import { DEFAULT_TRAIN_CONFIG, runTraining } from '../../src/train/runTraining.ts';
import { PageGpu } from '../../src/app/pageGpu.ts';
import { acquireNodeGpu } from '../../src/gpu/nodeGpu.ts';
import { SOFTWARE_ADAPTERS, tryAcquire } from './harness.ts';

const data = makeSyntheticSplit('rings5', { seed: 1 });
const options: TrainerOptions = { params: initParams({ layers: [2, 12, 5], activation: 'softplus' }, 3), ...data, optimizer: { ...DEFAULT_OPTIMIZER, kind: 'gd', lr: 0.1 }, batchSize: 0, shuffleSeed: 1 };

describe.each(SOFTWARE_ADAPTERS)('borrowing the device on %s', (adapter) => {
  let lender: GpuContext | null = null;
  beforeAll(async () => {
    lender = await tryAcquire(adapter);
  });
  afterAll(() => lender?.destroy());

  it('a destroyed borrow leaves the device, its pipelines and the lender working', async (test) => {
    if (!lender) return test.skip();
    const first = lender.borrow();
    const trainer = await GpuTrainer.create(first, options);
    const history = await trainer.train(30);
    trainer.dispose();
    first.destroy();
    first.destroy(); // twice is harmless

    const second = lender.borrow();
    expect(KernelLibrary.for(second)).toBe(KernelLibrary.for(first));
    const again = await GpuTrainer.create(second, options);
    expect(await again.train(30)).toEqual(history);
    again.dispose();
    second.destroy();
    lender.check();
  });

  it('runTraining destroys its context: with a borrow, the next run reuses the device', async (test) => {
    if (!lender) return test.skip();
    const ctx = lender;
    const config = { ...DEFAULT_TRAIN_CONFIG, backend: 'gpu' as const, epochs: 20 };
    const runs = [await runTraining(data, config, { acquireGpu: async () => ctx.borrow() }), await runTraining(data, config, { acquireGpu: async () => ctx.borrow() })];
    expect(runs[1].history).toEqual(runs[0].history);
    expect(runs.map((r) => r.backend)).toEqual(['gpu', 'gpu']);
    ctx.check();
  });

  it('losing the lender\'s device reaches every borrow, and a lost or destroyed lender lends nothing', async (test) => {
    if (!lender) return test.skip();
    const ctx = lender;
    const borrowed = ctx.borrow();
    const trainer = await GpuTrainer.create(borrowed, options);
    ctx.destroy();
    lender = null;
    await expect(trainer.train(10)).rejects.toThrow(GpuDeviceLostError);
    expect(() => ctx.borrow()).toThrow(/destroyed/);
    trainer.dispose();
    borrowed.destroy();
  });
});

describe('PageGpu (the page\'s one device)', () => {
  it('lends one device to every request, opens it once for concurrent requests, and replaces it when lost', async (test) => {
    const probe = await tryAcquire('swiftshader');
    if (!probe) return test.skip();
    probe.destroy();
    const gpu = new PageGpu(() => acquireNodeGpu('swiftshader'));
    const [a, b] = await Promise.all([gpu.acquire(), gpu.acquire()]);
    const c = await gpu.acquire();
    expect(gpu.devicesOpened).toBe(1);
    expect(b.device).toBe(a.device);
    expect(c.device).toBe(a.device);
    a.destroy();
    b.destroy();
    const trainer = await GpuTrainer.create(c, options);
    await trainer.train(5);

    // The device goes away under a live borrow: the borrow reports it, the next request gets a new device.
    c.device.destroy();
    await c.device.lost;
    await expect(trainer.train(5)).rejects.toThrow(GpuDeviceLostError);
    trainer.dispose();
    c.destroy();
    const fresh = await gpu.acquire();
    expect(fresh.device).not.toBe(a.device);
    expect(gpu.devicesOpened).toBe(2);
    const again = await GpuTrainer.create(fresh, options);
    expect(await again.train(5)).toHaveLength(5);
    again.dispose();
    fresh.destroy();
    expect(await gpu.adapterName()).toMatch(/swiftshader/i);
    gpu.close();
  });
});
