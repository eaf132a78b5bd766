// The floor model of the bench (bench/traffic.ts): the bytes each path moves per epoch, counted by hand
// for the assignment, and the floor as the largest bound that can be computed.

import { describe, expect, it } from 'vitest';
import { epochFloor, fusedEpochBytes, generalEpochBytes } from '../../bench/traffic.ts';
import type { MlpSpec } from '../../src/model/mlp.ts';

const assignment: MlpSpec = { layers: [2, 12, 5], activation: 'softplus' };

describe('bytes per epoch', () => {
  it('general path, the assignment (N 400, full batch), kernel by kernel', () => {
    const forward0 = 400 * 2 + 36 + 2 * 400 * 12;
    const forward1 = 400 * 12 + 65 + 2 * 400 * 5;
    const loss = 2 * 400 * 5 + 400;
    const gradients1 = 400 * 5 + 400 * 12 + 2 * 65;
    const input1 = 400 * 5 + 60 + 2 * 400 * 12;
    const gradients0 = 400 * 12 + 400 * 2 + 2 * 36;
    expect(generalEpochBytes(assignment, 400, 400)).toBe(4 * (forward0 + forward1 + loss + gradients1 + input1 + gradients0));
  });

  it('mini-batches add the gather and the per-step parameter traffic; a short last batch counts its own samples', () => {
    const full = generalEpochBytes(assignment, 400, 400);
    const mini = generalEpochBytes(assignment, 400, 150); // batches of 150, 150, 100
    const params = 4 * 2 * (36 + 65) + 4 * (36 + 65 + 60); // per extra step: updates, forward and input-gradient weights
    expect(mini).toBe(full + 2 * params + 4 * 2 * 400 * 3);
  });

  it('fused path: the samples read once', () => {
    expect(fusedEpochBytes(assignment, 400)).toBe(400 * 3 * 4);
  });
});

describe('epochFloor', () => {
  it('is the largest bound that can be computed, and says which', () => {
    const rates = { peakGflops: 100, copyGBps: 50, perDispatchUs: 5 };
    // compute 2e6 FLOP / 100 GFLOP/s = 0.02 ms; memory 1e6 B / 50 GB/s = 0.02 ms; 10 dispatches x 5 us = 0.05 ms
    expect(epochFloor(2e6, 1e6, 10, rates)).toEqual({ ms: 0.05, bound: 'dispatch' });
    expect(epochFloor(2e8, 1e6, 10, rates)).toEqual({ ms: 2, bound: 'compute' });
    expect(epochFloor(2e6, 1e8, 10, rates)).toEqual({ ms: 2, bound: 'memory' });
    expect(epochFloor(2e6, 1e6, null, { peakGflops: null, copyGBps: 50, perDispatchUs: null })).toEqual({ ms: 0.02, bound: 'memory' });
    expect(epochFloor(2e6, null, null, { peakGflops: null, copyGBps: null, perDispatchUs: 5 })).toBeNull();
  });
});
