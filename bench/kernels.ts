// Kernels alone: the dense layer's three products (forward x W^T, weight gradient dZ^T A, input gradient
// dZ W) at several sizes, in GFLOP/s, for every kernel version wgtrain has (src/gpu/kernels.ts
// KERNEL_PROFILES: naive, blocked, tiled) on each adapter, the CPU twins (src/cpu/matmul.ts), and tf.matMul on each
// TF.js backend; and the fixed cost of a dispatch and of a submission (shaders/noop.wgsl).
//
// Every kernel is first checked on a seeded random input against a float64 oracle at sampled output
// elements (outputs poisoned with NaN first, so an unwritten element shows), then timed after that
// warm-up; inputs and pipelines are made outside the timed region.

import { matmulBiasActForward, matmulGradInput, matmulGradWeights } from '../src/cpu/matmul.ts';
import { BufferOwner, UniformRecord } from '../src/gpu/buffers.ts';
import type { GpuContext } from '../src/gpu/device.ts';
import { ACTIVATION_CODES, forwardWorkgroups, gradInputWorkgroups, gradWeightsWorkgroups, KERNEL_PROFILES, KernelLibrary, type KernelName, type KernelProfile } from '../src/gpu/kernels.ts';
import { makeRng } from '../src/random.ts';
import { errorLine } from './errors.ts';
import { GpuTimer, stats, timeMs, type Stats } from './timing.ts';
import type { Tf } from './systems/tfjs.ts';
import type * as TfCore from '@tensorflow/tfjs-core';

export type Family = 'forward' | 'gradWeights' | 'gradInput';
export const FAMILIES: readonly Family[] = ['forward', 'gradWeights', 'gradInput'];

/** One dense layer's sizes: n samples, `inSize` inputs, `outSize` outputs. */
export interface MatmulShape {
  n: number;
  inSize: number;
  outSize: number;
  /** Where the shape comes from. */
  note: string;
  /** Only on hardware adapters (too big for the CPU and CPU-emulated adapters here). */
  hardwareOnly?: boolean;
}

/** Samples per row of gradient partial sums (GpuTrainerSettings.gradChunk's default). */
const GRAD_CHUNK = 1024;

export function kernelShapes(quick: boolean): MatmulShape[] {
  if (quick) return [{ n: 1024, inSize: 64, outSize: 64, note: 'small (quick)' }];
  return [
    { n: 100_000, inSize: 12, outSize: 5, note: 'W2 output layer (narrow)' },
    { n: 256, inSize: 784, outSize: 128, note: 'W4 first layer (one batch)' },
    { n: 4096, inSize: 256, outSize: 256, note: 'W3 middle layer, a quarter of its samples' },
    { n: 16_384, inSize: 1024, outSize: 1024, note: 'big square', hardwareOnly: true },
  ];
}

/** Matmul FLOPs of one call: 2 per multiply-add, n·in·out of them for each family. */
export function matmulFlops(s: MatmulShape): number {
  return 2 * s.n * s.inSize * s.outSize;
}

export interface KernelRow {
  system: string;
  device: string;
  adapter: string;
  software: boolean;
  family: Family;
  /** The kernel and its parameters: "matmulBiasActForwardNaive (naive, 256 invocations/workgroup)". */
  variant: string;
  shape: MatmulShape;
  flops: number;
  status: 'ok' | 'failed' | 'mismatch' | 'skipped';
  reason: string | null;
  /** Largest |value - oracle| / (atol + rtol |oracle|) over the sampled elements (<= 1 passes). */
  errorRatio: number | null;
  /** Calls per timed repeat. */
  callsPerRepeat: number | null;
  msPerCall: Stats | null;
  gflops: number | null;
  /** From timestamp queries around the pass of repeated calls, where the adapter has them. */
  gpuMsPerCall: number | null;
  gpuGflops: number | null;
}

export interface OverheadRow {
  device: string;
  adapter: string;
  software: boolean;
  /** Repeats of one pass of `dispatches` no-op dispatches: wall time per dispatch, microseconds. */
  perDispatchUs: Stats;
  /** The same from timestamp queries around the pass (median over repeats). */
  gpuPerDispatchUs: number | null;
  /** Repeats of `submissions` submissions of one no-op dispatch each, back to back: wall time per submission. */
  perSubmitUs: Stats;
  /** One submission of one no-op dispatch, then waiting for it: wall time per round trip. */
  roundTripUs: Stats;
  dispatches: number;
  submissions: number;
  /**
   * Global-memory bandwidth: bytes read plus bytes written per second by copyBufferToBuffer of
   * `copyBytes`, `copies` copies per submission (wall time, so the floor it gives is if anything low).
   */
  copyGBps: Stats | null;
  copyBytes: number;
}

export interface KernelBudget {
  /** Wall-clock milliseconds one repeat of calls aims at. */
  repeatMs: number;
  repeats: number;
  /** Wall-clock milliseconds a row may spend in timed repeats (at least one repeat runs). */
  rowMs: number;
  /** Tiled kernels on a CPU-emulated adapter are skipped above this many FLOPs (20-50x slower there). */
  softwareTiledMaxFlops: number;
  /** Any kernel on a CPU-emulated adapter is skipped above this many FLOPs (seconds a call there). */
  softwareMaxFlops: number;
}

// ---- Inputs and the float64 oracle ----

/** Seeded inputs of one shape, values uniform in [-1, 1). */
export interface ShapeInputs {
  shape: MatmulShape;
  /** x / A (n, in), W (out, in), b (out), dZ (n, out). */
  x: Float32Array;
  W: Float32Array;
  b: Float32Array;
  dZ: Float32Array;
  /** Output elements checked: indices into the family's output. */
  samples: Record<Family, Uint32Array>;
}

const SAMPLED = 512;

function uniform(n: number, rng: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 2 * rng() - 1;
  return a;
}

/** Output size of a family: forward (n, out); gradWeights (out, in) per row of partial sums; gradInput (n, in). */
function outputCount(s: MatmulShape, family: Family): number {
  return family === 'forward' ? s.n * s.outSize : family === 'gradWeights' ? s.outSize * s.inSize : s.n * s.inSize;
}

export function makeShapeInputs(shape: MatmulShape, seed: number): ShapeInputs {
  const rng = makeRng(seed);
  const { n, inSize, outSize } = shape;
  const pick = (count: number) => {
    const idx = new Uint32Array(Math.min(SAMPLED, count));
    for (let i = 0; i < idx.length; i++) idx[i] = Math.floor(rng() * count);
    return idx;
  };
  return {
    shape,
    x: uniform(n * inSize, rng),
    W: uniform(outSize * inSize, rng),
    b: uniform(outSize, rng),
    dZ: uniform(n * outSize, rng),
    samples: { forward: pick(outputCount(shape, 'forward')), gradWeights: pick(outputCount(shape, 'gradWeights')), gradInput: pick(outputCount(shape, 'gradInput')) },
  };
}

/**
 * The float64 value of output element `index` of a family; gradWeights over samples [from, to) (one row
 * of partial sums, or all samples). withBias adds b to the forward (wgtrain's kernel fuses it).
 */
function oracle(inp: ShapeInputs, family: Family, index: number, withBias: boolean, from = 0, to = inp.shape.n): number {
  const { inSize, outSize } = inp.shape;
  let sum = 0;
  if (family === 'forward') {
    const s = Math.floor(index / outSize);
    const o = index % outSize;
    for (let k = 0; k < inSize; k++) sum += inp.x[s * inSize + k] * inp.W[o * inSize + k];
    return withBias ? sum + inp.b[o] : sum;
  }
  if (family === 'gradWeights') {
    const o = Math.floor(index / inSize);
    const i = index % inSize;
    for (let s = from; s < to; s++) sum += inp.dZ[s * outSize + o] * inp.x[s * inSize + i];
    return sum;
  }
  const s = Math.floor(index / inSize);
  const i = index % inSize;
  for (let o = 0; o < outSize; o++) sum += inp.dZ[s * outSize + o] * inp.W[o * inSize + i];
  return sum;
}

/** Terms summed per output element. */
function sumLength(s: MatmulShape, family: Family, gradChunk: number): number {
  return family === 'forward' ? s.inSize : family === 'gradWeights' ? Math.min(gradChunk, s.n) : s.outSize;
}

/**
 * Tolerance of a float32 sum of K products of values in [-1, 1) against float64: rounding adds at most
 * about u = 2^-24 times the running sum per term; running sums of random-sign terms stay within a few
 * sqrt(K), so atol = K · 2^-22 (4 K u) covers every order of summation (tiles, vec4, blocked) with room,
 * and rtol 1e-5 covers the final rounding of large values. A wrong index or a missing tile is off by O(1).
 */
function tolerance(K: number): { atol: number; rtol: number } {
  return { atol: K * 2 ** -22, rtol: 1e-5 };
}

/** Largest error ratio over the sampled elements; Infinity when an element is NaN (never written). */
function errorRatio(values: (index: number) => number, inp: ShapeInputs, family: Family, K: number, expected: (index: number) => number): number {
  const { atol, rtol } = tolerance(K);
  let worst = 0;
  for (const index of inp.samples[family]) {
    const v = values(index);
    const e = expected(index);
    if (!Number.isFinite(v)) return Infinity;
    worst = Math.max(worst, Math.abs(v - e) / (atol + rtol * Math.abs(e)));
  }
  return worst;
}

// ---- Timing ----

/** Repeats of `calls` calls (each repeat timed by `run`) until `repeats` or the row budget is spent. */
async function repeatCalls(run: (calls: number) => Promise<number>, estimateMs: number, budget: KernelBudget): Promise<{ calls: number; perCall: Stats }> {
  const calls = Math.max(1, Math.min(1000, Math.round(budget.repeatMs / Math.max(estimateMs, 1e-3))));
  const samples: number[] = [];
  let spent = 0;
  while (samples.length < budget.repeats && (samples.length === 0 || spent < budget.rowMs)) {
    const ms = await run(calls);
    spent += ms;
    samples.push(ms / calls);
  }
  return { calls, perCall: stats(samples) };
}

function baseRow(system: string, device: string, adapter: string, software: boolean, family: Family, variant: string, shape: MatmulShape): KernelRow {
  return { system, device, adapter, software, family, variant, shape, flops: matmulFlops(shape), status: 'ok', reason: null, errorRatio: null, callsPerRepeat: null, msPerCall: null, gflops: null, gpuMsPerCall: null, gpuGflops: null };
}

function finish(row: KernelRow, timed: { calls: number; perCall: Stats }, gpuMs: number | null): KernelRow {
  row.callsPerRepeat = timed.calls;
  row.msPerCall = timed.perCall;
  row.gflops = row.flops / (timed.perCall.median * 1e6);
  row.gpuMsPerCall = gpuMs;
  row.gpuGflops = gpuMs && gpuMs > 0 ? row.flops / (gpuMs * 1e6) : null;
  return row;
}

// ---- wgtrain's WGSL kernels ----

const FAMILY_KERNEL: Record<Family, (p: KernelProfile) => KernelName> = {
  forward: (p) => p.forward,
  gradWeights: (p) => p.gradWeights,
  gradInput: (p) => p.gradInputActivationBackward,
};

function profileText(p: KernelProfile): string {
  if (p.name === 'tiled') return `tiled, TILE=${p.constants.TILE}`;
  if (p.name === 'blocked') return `blocked, 4x4 per invocation, ${p.constants.BLOCK_WORKGROUP} invocations/workgroup`;
  return `naive, ${p.constants.ELEMENTWISE_WORKGROUP} invocations/workgroup`;
}

/** Every family and kernel version on one adapter, at every shape. */
export async function gpuKernelRows(ctx: GpuContext, device: string, adapter: string, inputs: ShapeInputs[], budget: KernelBudget, log: (line: string) => void): Promise<KernelRow[]> {
  const rows: KernelRow[] = [];
  const library = KernelLibrary.for(ctx);
  const timer = ctx.hasTimestamps ? new GpuTimer(ctx.device, 'kernels', 4) : null;
  try {
    for (const inp of inputs) {
      const { n, inSize, outSize } = inp.shape;
      const P = outSize * inSize + outSize;
      const rowsOfPartials = Math.ceil(n / GRAD_CHUNK);
      const owner = new BufferOwner(ctx.device, `bench ${n}x${inSize}x${outSize}`);
      try {
        const S = GPUBufferUsage.STORAGE;
        const params = new Float32Array(P);
        params.set(inp.W, 0);
        params.set(inp.b, outSize * inSize);
        const nan = (count: number) => new Float32Array(count).fill(NaN);
        const b = {
          x: owner.create('x', inp.x.byteLength, S, inp.x),
          params: owner.create('params', P * 4, S, params),
          dZ: owner.create('dZ', inp.dZ.byteLength, S, inp.dZ),
          zBelow: owner.create('z below', n * inSize * 4, S, new Float32Array(n * inSize)),
          z: owner.create('z', n * outSize * 4, S | GPUBufferUsage.COPY_SRC, nan(n * outSize)),
          a: owner.create('a', n * outSize * 4, S, nan(n * outSize)),
          partial: owner.create('partial sums', rowsOfPartials * P * 4, S | GPUBufferUsage.COPY_SRC, nan(rowsOfPartials * P)),
          dA: owner.create('dA', n * inSize * 4, S | GPUBufferUsage.COPY_SRC, nan(n * inSize)),
        };
        // Sizes records padded with zeros to 256 bytes, so a struct that grows a trailing field still binds.
        const uniform = (record: UniformRecord) => {
          const bytes = new Uint8Array(256);
          bytes.set(record.data);
          return owner.create('sizes', bytes.byteLength, GPUBufferUsage.UNIFORM, bytes);
        };
        for (const profile of [KERNEL_PROFILES.naive, KERNEL_PROFILES.blocked, KERNEL_PROFILES.tiled]) {
          for (const family of FAMILIES) {
            const kernel = FAMILY_KERNEL[family](profile);
            const row = baseRow('wgtrain-gpu', device, adapter, ctx.isSoftware, family, `${kernel} (${profileText(profile)})`, inp.shape);
            rows.push(row);
            if (ctx.isSoftware && profile.name === 'tiled' && row.flops > budget.softwareTiledMaxFlops) {
              row.status = 'skipped';
              row.reason = `tiled kernels on a CPU-emulated adapter run 20-50x slower than naive (src/gpu/kernels.ts); skipped above ${budget.softwareTiledMaxFlops.toExponential(0)} FLOP`;
              continue;
            }
            if (ctx.isSoftware && row.flops > budget.softwareMaxFlops) {
              row.status = 'skipped';
              row.reason = `CPU-emulated adapter: skipped above ${budget.softwareMaxFlops.toExponential(1)} FLOP a call to bound the run`;
              continue;
            }
            try {
              const c = profile.constants;
              let resources: GPUBuffer[];
              let workgroups: number[];
              let output: GPUBuffer;
              let outputFloats: number;
              if (family === 'forward') {
                resources = [b.z, b.a, b.x, b.params, uniform(new UniformRecord().u32(n).u32(inSize).u32(outSize).u32(0).u32(outSize * inSize))];
                workgroups = forwardWorkgroups(profile.forward, n, outSize, c);
                output = b.z;
                outputFloats = n * outSize;
              } else if (family === 'gradWeights') {
                const sizes = new UniformRecord().u32(n).u32(outSize).u32(inSize).u32(0).u32(outSize * inSize).u32(P).u32(GRAD_CHUNK).u32(0).u32(0);
                resources = [b.partial, b.dZ, b.x, uniform(sizes)];
                workgroups = gradWeightsWorkgroups(profile.gradWeights, n, outSize, inSize, GRAD_CHUNK, c);
                output = b.partial;
                outputFloats = rowsOfPartials * P;
              } else {
                resources = [b.dA, b.dZ, b.params, b.zBelow, uniform(new UniformRecord().u32(n).u32(outSize).u32(inSize).u32(0))];
                workgroups = gradInputWorkgroups(profile.gradInputActivationBackward, n, inSize, c);
                output = b.dA;
                outputFloats = n * inSize;
              }
              const pipeline = await library.pipeline(kernel, { ...c, ACTIVATION: ACTIVATION_CODES.identity });
              const bindGroup = library.bindGroup(kernel, `bench ${kernel}`, resources);
              const [wx, wy = 1, wz = 1] = workgroups;
              const run = async (calls: number, withTimer: boolean): Promise<number> => {
                const encoder = ctx.device.createCommandEncoder({ label: `bench ${kernel}` });
                timer?.reset();
                const writes = withTimer ? timer?.timestampWrites() : undefined;
                const start = performance.now();
                const pass = encoder.beginComputePass({ label: `bench ${kernel}`, ...(writes ? { timestampWrites: writes } : {}) });
                pass.setPipeline(pipeline);
                pass.setBindGroup(0, bindGroup);
                for (let i = 0; i < calls; i++) pass.dispatchWorkgroups(wx, wy, wz);
                pass.end();
                ctx.device.queue.submit([encoder.finish()]);
                await ctx.device.queue.onSubmittedWorkDone();
                return performance.now() - start;
              };
              // Check (and warm up): one call, read the output back, compare sampled elements.
              await ctx.guarded(`bench ${kernel}`, () => run(1, false));
              const values = await readFloats(ctx, output, outputFloats);
              const K = sumLength(inp.shape, family, GRAD_CHUNK);
              row.errorRatio =
                family === 'gradWeights'
                  ? // Every row of partial sums holds its chunk's sums; check row r of each sampled element.
                    Math.max(
                      ...Array.from({ length: Math.min(rowsOfPartials, 3) }, (_, r) =>
                        errorRatio((i) => values[r * P + i], inp, family, K, (i) => oracle(inp, family, i, false, r * GRAD_CHUNK, Math.min(n, (r + 1) * GRAD_CHUNK))),
                      ),
                    )
                  : errorRatio((i) => values[i], inp, family, K, (i) => oracle(inp, family, i, true));
              if (!(row.errorRatio <= 1)) {
                row.status = 'mismatch';
                row.reason = `sampled outputs differ from the float64 oracle by ${row.errorRatio.toPrecision(3)} x the tolerance`;
                continue;
              }
              const timed = await repeatCalls((calls) => run(calls, false), await timeMs(() => run(1, false)), budget);
              let gpuMs: number | null = null;
              if (timer) {
                await run(timed.calls, true);
                const t = await timer.read();
                gpuMs = t.ms / timed.calls;
              }
              finish(row, timed, gpuMs);
            } catch (error) {
              row.status = 'failed';
              row.reason = errorLine(error);
            }
            log(kernelLine(row));
          }
        }
      } finally {
        owner.destroyAll();
      }
    }
  } finally {
    timer?.destroy();
  }
  return rows;
}

async function readFloats(ctx: GpuContext, buffer: GPUBuffer, count: number): Promise<Float32Array> {
  const staging = ctx.device.createBuffer({ label: 'bench readback', size: count * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const encoder = ctx.device.createCommandEncoder({ label: 'bench readback' });
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, count * 4);
    ctx.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const values = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    ctx.check();
    return values;
  } finally {
    staging.destroy();
  }
}

/** The no-op dispatch on one adapter: cost per dispatch, per submission, per round trip. */
/** GB/s (read + write) of copyBufferToBuffer between two buffers of 16 MiB (quick: 4 MiB), 8 copies a submission. */
async function copyBandwidth(ctx: GpuContext, quick: boolean): Promise<{ gbps: Stats; bytes: number }> {
  const bytes = (quick ? 4 : 16) << 20;
  const copies = 8;
  const owner = new BufferOwner(ctx.device, 'bench copy');
  try {
    const usage = GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const [a, b] = [owner.create('source', bytes, usage), owner.create('destination', bytes, usage)];
    const run = async () => {
      const encoder = ctx.device.createCommandEncoder({ label: 'bench copy' });
      for (let i = 0; i < copies; i++) encoder.copyBufferToBuffer(i % 2 ? b : a, 0, i % 2 ? a : b, 0, bytes);
      ctx.device.queue.submit([encoder.finish()]);
      await ctx.device.queue.onSubmittedWorkDone();
    };
    await run(); // warm-up
    const rates: number[] = [];
    for (let r = 0; r < (quick ? 3 : 7); r++) rates.push((2 * bytes * copies) / ((await timeMs(run)) * 1e6));
    ctx.check();
    return { gbps: stats(rates), bytes };
  } finally {
    owner.destroyAll();
  }
}

export async function dispatchOverhead(ctx: GpuContext, device: string, adapter: string, quick: boolean): Promise<OverheadRow> {
  const pipeline = await KernelLibrary.for(ctx).pipeline('noop');
  const bindGroup = ctx.device.createBindGroup({ label: 'bench noop', layout: pipeline.getBindGroupLayout(0), entries: [] });
  const timer = ctx.hasTimestamps ? new GpuTimer(ctx.device, 'noop', 2) : null;
  // CPU-emulated adapters vary a lot from one pass to the next (thread-pool scheduling): several repeats.
  const repeats = quick ? 3 : 7;
  const dispatches = quick ? 100 : 500;
  const submissions = quick ? 30 : 100;
  const encode = (count: number, writes?: GPUComputePassTimestampWrites) => {
    const encoder = ctx.device.createCommandEncoder({ label: 'bench noop' });
    const pass = encoder.beginComputePass({ label: 'bench noop', ...(writes ? { timestampWrites: writes } : {}) });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    for (let i = 0; i < count; i++) pass.dispatchWorkgroups(1);
    pass.end();
    return encoder.finish();
  };
  const submitAndWait = async (buffers: GPUCommandBuffer[]) => {
    for (const b of buffers) ctx.device.queue.submit([b]);
    await ctx.device.queue.onSubmittedWorkDone();
  };
  try {
    await submitAndWait([encode(10)]); // warm-up
    const perDispatch: number[] = [];
    const gpuPerDispatch: number[] = [];
    const perSubmit: number[] = [];
    const trips: number[] = [];
    for (let r = 0; r < repeats; r++) {
      timer?.reset();
      const one = encode(dispatches, timer?.timestampWrites());
      perDispatch.push(((await timeMs(() => submitAndWait([one]))) / dispatches) * 1000);
      if (timer) gpuPerDispatch.push(((await timer.read()).ms / dispatches) * 1000);
      const many = Array.from({ length: submissions }, () => encode(1));
      perSubmit.push(((await timeMs(() => submitAndWait(many))) / submissions) * 1000);
      for (let t = 0; t < 10; t++) {
        const single = encode(1);
        trips.push((await timeMs(() => submitAndWait([single]))) * 1000);
      }
    }
    ctx.check();
    const copy = await copyBandwidth(ctx, quick);
    return {
      device,
      adapter,
      software: ctx.isSoftware,
      copyGBps: copy.gbps,
      copyBytes: copy.bytes,
      perDispatchUs: stats(perDispatch),
      gpuPerDispatchUs: timer ? stats(gpuPerDispatch).median : null,
      perSubmitUs: stats(perSubmit),
      roundTripUs: stats(trips),
      dispatches,
      submissions,
    };
  } finally {
    timer?.destroy();
  }
}

// ---- The CPU twins ----

export async function cpuKernelRows(adapter: string, inputs: ShapeInputs[], budget: KernelBudget, log: (line: string) => void): Promise<KernelRow[]> {
  const rows: KernelRow[] = [];
  for (const inp of inputs) {
    if (inp.shape.hardwareOnly) continue;
    const { n, inSize, outSize } = inp.shape;
    for (const family of FAMILIES) {
      const names = { forward: 'matmulBiasActForward', gradWeights: 'matmulGradWeights', gradInput: 'matmulGradInput' } as const;
      const row = baseRow('wgtrain-cpu', 'cpu', adapter, false, family, `${names[family]} (CPU twin, float64 sums)`, inp.shape);
      rows.push(row);
      let out: Float32Array;
      let call: () => void;
      if (family === 'forward') {
        out = new Float32Array(n * outSize).fill(NaN);
        const a = new Float32Array(n * outSize);
        call = () => matmulBiasActForward(out, a, inp.x, inp.W, inp.b, n, inSize, outSize, null);
      } else if (family === 'gradWeights') {
        out = new Float32Array(outSize * inSize).fill(NaN);
        const db = new Float32Array(outSize);
        call = () => matmulGradWeights(out, db, inp.dZ, inp.x, n, outSize, inSize);
      } else {
        out = new Float32Array(n * inSize).fill(NaN);
        call = () => matmulGradInput(out, inp.dZ, inp.W, n, outSize, inSize);
      }
      const estimate = await timeMs(call);
      const K = family === 'gradWeights' ? n : sumLength(inp.shape, family, GRAD_CHUNK);
      row.errorRatio = errorRatio((i) => out[i], inp, family, K, (i) => oracle(inp, family, i, true));
      if (!(row.errorRatio <= 1)) {
        row.status = 'mismatch';
        row.reason = `sampled outputs differ from the float64 oracle by ${row.errorRatio.toPrecision(3)} x the tolerance`;
      } else {
        finish(row, await repeatCalls(async (calls) => timeMs(() => { for (let i = 0; i < calls; i++) call(); }), estimate, budget), null);
      }
      log(kernelLine(row));
    }
  }
  return rows;
}

// ---- tf.matMul on a TF.js backend ----

export async function tfjsKernelRows(tf: Tf, system: string, device: string, adapter: string, software: boolean, inputs: ShapeInputs[], budget: KernelBudget, log: (line: string) => void): Promise<KernelRow[]> {
  const rows: KernelRow[] = [];
  for (const inp of inputs) {
    if (inp.shape.hardwareOnly && (device === 'cpu' || software)) continue;
    const { n, inSize, outSize } = inp.shape;
    const x = tf.tensor2d(inp.x, [n, inSize]);
    const W = tf.tensor2d(inp.W, [outSize, inSize]);
    const dZ = tf.tensor2d(inp.dZ, [n, outSize]);
    try {
      for (const family of FAMILIES) {
        const spec = {
          forward: { text: 'tf.matMul(x, W, false, true)', f: () => tf.matMul(x, W, false, true) },
          gradWeights: { text: 'tf.matMul(dZ, A, true, false)', f: () => tf.matMul(dZ, x, true, false) },
          gradInput: { text: 'tf.matMul(dZ, W)', f: () => tf.matMul(dZ, W) },
        }[family];
        const row = baseRow(system, device, adapter, software, family, spec.text, inp.shape);
        rows.push(row);
        if (software && row.flops > budget.softwareMaxFlops) {
          row.status = 'skipped';
          row.reason = `CPU-emulated adapter: skipped above ${budget.softwareMaxFlops.toExponential(1)} FLOP a call to bound the run`;
          log(kernelLine(row));
          continue;
        }
        try {
          // Check (and warm up): one call, read back, compare sampled elements with the oracle (no bias).
          const first = spec.f();
          const values = await first.data();
          first.dispose();
          const K = family === 'forward' ? inSize : family === 'gradWeights' ? n : outSize;
          row.errorRatio = errorRatio((i) => values[i], inp, family, K, (i) => oracle(inp, family, i, false));
          if (!(row.errorRatio <= 1)) {
            row.status = 'mismatch';
            row.reason = `sampled outputs differ from the float64 oracle by ${row.errorRatio.toPrecision(3)} x the tolerance`;
          } else {
            // Calls chained without reading their results; one 1x1 slice of the last is read to sync.
            const run = async (calls: number) =>
              timeMs(async () => {
                let last: TfCore.Tensor | null = null;
                for (let i = 0; i < calls; i++) {
                  last?.dispose();
                  last = spec.f();
                }
                const probe = tf.slice(last as TfCore.Tensor2D, [0, 0], [1, 1]);
                await probe.data();
                probe.dispose();
                last?.dispose();
              });
            finish(row, await repeatCalls(run, await run(1), budget), null);
          }
        } catch (error) {
          row.status = 'failed';
          row.reason = errorLine(error);
        }
        log(kernelLine(row));
      }
    } finally {
      x.dispose();
      W.dispose();
      dZ.dispose();
    }
  }
  return rows;
}

export function kernelLine(r: KernelRow): string {
  const shape = `${r.shape.n}x${r.shape.inSize}x${r.shape.outSize}`;
  if (r.status !== 'ok') return `  kernel ${r.system} ${r.device} ${r.family} ${shape} ${r.variant}: ${r.status.toUpperCase()} ${r.reason ?? ''}`;
  const gpu = r.gpuGflops !== null ? ` (GPU time ${r.gpuGflops.toFixed(2)})` : '';
  return `  kernel ${r.system} ${r.device} ${r.family} ${shape} ${r.variant}: ${r.msPerCall!.median.toFixed(3)} ms, ${r.gflops!.toFixed(2)} GFLOP/s${gpu}`;
}
