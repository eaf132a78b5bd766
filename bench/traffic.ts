// The floor under a training epoch: the global-memory bytes the math must move, per path, and the time
// no implementation on a device can beat, the largest of three bounds: compute (FLOPs at the device's best
// measured matmul rate), memory (bytes at its measured copy bandwidth), dispatch (dispatches at its
// measured no-op dispatch cost). A row's ratio to its floor says how much is left and which bound to
// attack. Every workload here trains plain SGD (no optimizer state) without a per-epoch test pass.

import { layerCount, type MlpSpec } from '../src/model/mlp.ts';

const F32 = 4;

/**
 * Bytes one epoch of the general path moves if each kernel reads its inputs and writes its outputs once
 * (caches can spare re-reads, never these). Per step of b samples, per layer l (in -> out), from
 * shaders/matmul.wgsl and softmaxCrossEntropy.wgsl: the forward reads x (b, in), W and b, and writes z
 * and a (b, out); the loss reads the logits (b, C) and y (b) and writes dZ (b, C); going down, the
 * weight gradient with its update reads dZ (b, out) and the layer's input (b, in) and reads and writes the
 * layer's parameters; below the last layer the input gradient reads dZ (b, out), W and z below (b, in)
 * and writes dZ below (b, in). Mini-batches first gather x and y (read and write b (in + 1)).
 */
export function generalEpochBytes(spec: MlpSpec, trainSize: number, batchSize: number): number {
  const { layers } = spec;
  const L = layerCount(spec);
  const steps = Math.ceil(trainSize / batchSize);
  let words = 0;
  for (let step = 0; step < steps; step++) {
    const b = Math.min(batchSize, trainSize - step * batchSize);
    if (batchSize < trainSize) words += 2 * b * (layers[0] + 1);
    for (let l = 0; l < L; l++) {
      const [inSize, outSize] = [layers[l], layers[l + 1]];
      const params = inSize * outSize + outSize;
      words += b * inSize + params + 2 * b * outSize; // forward
      words += b * outSize + b * inSize + 2 * params; // weight gradient and update
      if (l > 0) words += b * outSize + inSize * outSize + 2 * b * inSize; // input gradient times act'
    }
    words += 2 * b * layers[L] + b; // softmax cross-entropy: logits and labels in, dZ out
  }
  return words * F32;
}

/**
 * Bytes one epoch of the fused path moves: the training samples (x and y) read once; the parameters stay
 * in workgroup memory for the whole dispatch (read and written once per dispatch, left out).
 */
export function fusedEpochBytes(spec: MlpSpec, trainSize: number): number {
  return trainSize * (spec.layers[0] + 1) * F32;
}

/** What a floor is made of: the device's measured rates (null where this run did not measure one). */
export interface DeviceRates {
  /** Best measured matmul GFLOP/s on the device (the kernels suite). */
  peakGflops: number | null;
  /** Measured copy bandwidth, GB/s (copyBufferToBuffer on a GPU adapter). */
  copyGBps: number | null;
  /** Measured cost of one no-op dispatch inside a pass, microseconds. */
  perDispatchUs: number | null;
}

export type FloorBound = 'compute' | 'memory' | 'dispatch';

/** The largest of the bounds that can be computed, in ms per epoch, and which one it is. */
export function epochFloor(flops: number, bytes: number | null, dispatches: number | null, rates: DeviceRates): { ms: number; bound: FloorBound } | null {
  const bounds: [FloorBound, number | null][] = [
    ['compute', rates.peakGflops ? flops / (rates.peakGflops * 1e6) : null],
    ['memory', rates.copyGBps && bytes !== null ? bytes / (rates.copyGBps * 1e6) : null],
    ['dispatch', rates.perDispatchUs !== null && dispatches !== null ? (dispatches * rates.perDispatchUs) / 1000 : null],
  ];
  let best: { ms: number; bound: FloorBound } | null = null;
  for (const [bound, ms] of bounds) if (ms !== null && (!best || ms > best.ms)) best = { ms, bound };
  return best;
}
