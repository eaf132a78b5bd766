// A GPU device lost mid-training: the error is clear, and runTraining continues on the (fast) CPU trainer from
// the last parameters read back, saying so.

import { describe, expect, it } from 'vitest';
import { makeSyntheticSplit } from '../../src/data/synthetic.ts';
import type { GpuContext } from '../../src/gpu/device.ts';
import { acquireNodeGpu } from '../../src/gpu/nodeGpu.ts';
import { DEFAULT_TRAIN_CONFIG, runTraining } from '../../src/train/runTraining.ts';

describe('device loss during training', () => {
  it('continues on the CPU from the last checkpoint and says so', async () => {
    const split = makeSyntheticSplit('rings5', { seed: 1 });
    let context: GpuContext | null = null;
    const notices: string[] = [];
    let chunks = 0;
    const result = await runTraining(
      split,
      { ...DEFAULT_TRAIN_CONFIG, backend: 'gpu', epochs: 60 },
      {
        acquireGpu: async () => (context = await acquireNodeGpu('swiftshader')),
        chunk: 20,
        onNotice: (m) => notices.push(m),
        onProgress: () => {
          // After the first 20 epochs were read back, the device goes away.
          if (++chunks === 1) context!.device.destroy();
        },
      },
    );
    expect(notices[0]).toMatch(/^backend gpu: SwiftShader/);
    expect(notices[1]).toMatch(/GPU device lost on SwiftShader.*continuing on the CPU \(fast float32\) from epoch 20/);
    expect(result.backend).toBe('cpu');
    expect(result.history.map((r) => r.epoch)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));

    // The CPU continuation from epoch 20 gives what an all-CPU run gives (within float32 agreement of
    // the first 20 GPU epochs; full-batch GD keeps no optimizer state).
    const cpu = await runTraining(split, { ...DEFAULT_TRAIN_CONFIG, backend: 'cpu', epochs: 60 });
    for (let e = 0; e < 60; e++) expect(result.history[e].trainLoss).toBeCloseTo(cpu.history[e].trainLoss, 4);
  });
});
