// Which path `auto` takes on each kind of adapter (src/gpu/plan.ts autoPath, FUSED_MAX_EPOCH_WORK), and
// how long train() idles before a readback (src/gpu/gpuTrainer.ts ReadbackPacer): pure arithmetic, no
// GPU and no timing. The limits themselves come from measurements (bench/RESULTS.md); these tests pin the
// choices those measurements support.

import { describe, expect, it } from 'vitest';
import { IDLE_FRACTION, ReadbackPacer } from '../../src/gpu/gpuTrainer.ts';
import { ADAPTER_KINDS, adapterKind, autoPath, DEFAULT_GPU_TRAINER_SETTINGS, FUSED_MAX_EPOCH_WORK, fusedEpochWork } from '../../src/gpu/plan.ts';
import type { MlpSpec } from '../../src/model/mlp.ts';

const spec: MlpSpec = { layers: [2, 12, 5], activation: 'softplus' };
const settings = DEFAULT_GPU_TRAINER_SETTINGS;
/** fusedEpochWork of the 2-12-5 model, full batch, on n train samples and no test set. */
const work = (n: number) => fusedEpochWork(spec, n, 0);

describe('adapterKind', () => {
  it('tells llvmpipe (and lavapipe), SwiftShader and other CPU-emulated adapters, and GPUs apart by name', () => {
    expect(adapterKind('OpenGL version OpenGL ES 3.2 Mesa 22.3.6 (llvmpipe-llvm-15-0-6-256-bits-)', true)).toBe('llvmpipe');
    expect(adapterKind('llvmpipe (LLVM 15.0.6, 256 bits) (mesa lavapipe)', true)).toBe('llvmpipe');
    expect(adapterKind('SwiftShader driver 5.0.0 (google swiftshader swiftshader-device-subzero-)', true)).toBe('swiftshader');
    expect(adapterKind('Microsoft Basic Render Driver (WARP)', true)).toBe('swiftshader');
    expect(adapterKind('NVIDIA H200 (nvidia hopper)', false)).toBe('gpu');
  });
});

describe('autoPath', () => {
  it('has a positive limit for every adapter kind, and 0 in the settings means "the kind\'s"', () => {
    for (const kind of ADAPTER_KINDS) expect(FUSED_MAX_EPOCH_WORK[kind]).toBeGreaterThan(0);
    expect(settings.fusedMaxEpochWork).toBe(0);
  });

  it('takes the fused path for the assignment (2-12-5, N=400) on every kind', () => {
    for (const kind of ADAPTER_KINDS) expect(autoPath(kind, work(400), null, settings)).toBe('fused');
  });

  it('keeps W2 (N=100,000) on the fused path on the CPU-emulated adapters, where it measured twice as fast, and sends it the general way on GPUs', () => {
    expect(autoPath('swiftshader', work(100_000), null, settings)).toBe('fused');
    expect(autoPath('llvmpipe', work(100_000), null, settings)).toBe('fused');
    expect(autoPath('gpu', work(100_000), null, settings)).toBe('general');
    for (const kind of ADAPTER_KINDS) expect(autoPath(kind, work(1_000_000), null, settings)).toBe('general');
  });

  it('switches exactly at the limit: fused up to it, general past it', () => {
    for (const kind of ADAPTER_KINDS) {
      expect(autoPath(kind, FUSED_MAX_EPOCH_WORK[kind], null, settings)).toBe('fused');
      expect(autoPath(kind, FUSED_MAX_EPOCH_WORK[kind] + 1, null, settings)).toBe('general');
    }
  });

  it('takes the general path whenever the fused kernel cannot run the model, however small', () => {
    expect(autoPath('gpu', 1, 'layers [2,300,300,5] with adam need 1000000 bytes of workgroup memory', settings)).toBe('general');
  });

  it('lets the fusedMaxEpochWork setting override the kind\'s limit', () => {
    expect(autoPath('llvmpipe', work(400), null, { fusedMaxEpochWork: work(400) })).toBe('fused');
    expect(autoPath('llvmpipe', work(400), null, { fusedMaxEpochWork: work(100) })).toBe('general');
    expect(autoPath('swiftshader', work(400), null, { fusedMaxEpochWork: work(400) - 1 })).toBe('general');
  });
});

describe('ReadbackPacer', () => {
  it('sleeps nothing before it has measured a chunk, then IDLE_FRACTION of what is left of the expected time', () => {
    const pacer = new ReadbackPacer();
    expect(pacer.idleMs(10, 1, 0.1)).toBe(0);
    // 10 epochs in 200 ms, waited 50 ms for the map after a sleep: 20 ms an epoch.
    pacer.record(10, 200, 100, 50);
    expect(pacer.idleMs(10, 20, 0.1)).toBeCloseTo(IDLE_FRACTION * (200 - 20));
    expect(pacer.idleMs(5, 20, 0.1)).toBeCloseTo(IDLE_FRACTION * (100 - 20));
    expect(pacer.idleMs(10, 199, 0.1)).toBe(0);
  });

  it('does not sleep after a submission that ran the work itself (llvmpipe runs it inside queue.submit)', () => {
    const pacer = new ReadbackPacer();
    pacer.record(10, 200, 0, 0);
    // Before the fix, a chunk slept 0.75 of the last chunk's time on top of its work, and took that
    // longer time as the next expectation: 1 / (1 - 0.75) = 4 times the work in the end.
    expect(pacer.idleMs(10, 190, 185)).toBe(0);
    expect(pacer.idleMs(10, 101, 100)).toBe(0);
  });

  it('expects a longer chunk to take no longer than the last one measured', () => {
    const pacer = new ReadbackPacer();
    // 2 epochs in 40 ms (mostly the readback's fixed cost); then 1000 epochs: expect 40 ms, not 20 s.
    pacer.record(2, 40, 0, 30);
    expect(pacer.idleMs(1000, 1, 0.1)).toBeCloseTo(IDLE_FRACTION * (40 - 1));
  });

  it('halves the expectation after a sleep that outlasted the work', () => {
    const pacer = new ReadbackPacer();
    // Slept 150 ms of a 160 ms chunk and the map resolved at once: the work took less than the sleep.
    pacer.record(10, 160, 150, 0.2);
    expect(pacer.idleMs(10, 0, 0.1)).toBeCloseTo(IDLE_FRACTION * 80);
  });
});
