// The dense layer's products per kernel version on each software adapter, at the wide layers of the W3 and
// W4 workloads: the naive kernels against the register-blocked ones at several workgroup sizes
// (BLOCK_WORKGROUP). Not a test: it prints a table. Each version's output is first checked against the
// naive kernel's (the same summation order: equal up to fused multiply-adds), then timed: ROUNDS rounds
// with the versions interleaved, each version's fastest round kept (this machine's other load swings
// single runs by 2x); buffers and pipelines are made outside the timed region. Software adapters emulate
// the GPU on this machine's CPU cores: these numbers say nothing about GPU speed.
//   npx vitest run --config bench/measure/vitest.config.ts matmul

import { it } from 'vitest';
import { BufferOwner, UniformRecord } from '../../src/gpu/buffers.ts';
import type { GpuContext } from '../../src/gpu/device.ts';
import { ACTIVATION_CODES, forwardWorkgroups, gradInputWorkgroups, gradWeightsWorkgroups, KERNEL_PROFILES, KernelLibrary, type KernelConstants, type KernelProfile } from '../../src/gpu/kernels.ts';
import { randomArray, SOFTWARE_ADAPTERS, tryAcquire } from '../../test/gpu/harness.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
/** Wall-clock milliseconds one timed pass of repeated calls aims at. */
const PASS_MS = 300;
const GRAD_CHUNK = 1024;

const ALL_SHAPES = [
  { n: 256, inSize: 784, outSize: 128, note: 'W4 first layer (one batch)' },
  { n: 1024, inSize: 256, outSize: 256, note: 'W3 middle layer, 1/16 of its samples' },
  { n: 1024, inSize: 2, outSize: 256, note: 'W3 first layer, 1/16 of its samples' },
  { n: 256, inSize: 128, outSize: 10, note: 'W4 output layer (one batch)' },
] as const;
/** SHAPES=0,1: which of ALL_SHAPES to run (default the first three). */
const SHAPES = (process.env.SHAPES?.split(',').map(Number) ?? [0, 1, 2]).map((i) => ALL_SHAPES[i]);

type Family = 'forward' | 'gradWeights' | 'gradInput';
const FAMILIES = (process.env.FAMILIES?.split(',') ?? ['forward', 'gradWeights', 'gradInput']) as Family[];
/** BLOCK_WORKGROUP values of the blocked versions timed. */
/** [BLOCK_ROWS, BLOCK_QUADS] of the blocked versions timed. */
const BLOCK_SHAPES = (process.env.BLOCK_SHAPES?.split(',') ?? ['4x1', '8x2']).map((b) => b.split('x').map(Number) as [number, number]);
const BLOCK_WORKGROUPS = (process.env.BLOCK_WORKGROUPS?.split(',') ?? ['16', '32', '64', '128', '256']).map(Number);

interface Version {
  name: string;
  profile: KernelProfile;
  constants: KernelConstants;
}

const VERSIONS: Version[] = [
  { name: 'naive', profile: KERNEL_PROFILES.naive, constants: KERNEL_PROFILES.naive.constants },
  ...BLOCK_SHAPES.flatMap(([rows, quads]) =>
    BLOCK_WORKGROUPS.map((wg) => ({ name: `blocked ${rows}x${4 * quads}, ${wg} invocations`, profile: KERNEL_PROFILES.blocked, constants: { ...KERNEL_PROFILES.blocked.constants, BLOCK_WORKGROUP: wg, BLOCK_ROWS: rows, BLOCK_QUADS: quads } })),
  ),
];

interface Prepared {
  version: Version;
  run: (calls: number) => Promise<number>;
  best: number;
  calls: number;
  /** Pipeline creation (compilation), the first time these constants are asked for on this device. */
  createMs: number;
  /** The first call, which includes compiling the shader where the driver compiles lazily (llvmpipe, SwiftShader). */
  firstMs: number;
}

async function measureAdapter(ctx: GpuContext, rows: string[]): Promise<void> {
  const library = KernelLibrary.for(ctx);
  for (const shape of SHAPES) {
    const { n, inSize, outSize } = shape;
    const owner = new BufferOwner(ctx.device, `measure ${n}x${inSize}x${outSize}`);
    try {
      const S = GPUBufferUsage.STORAGE;
      const P = outSize * inSize + outSize;
      const partialRows = Math.ceil(n / GRAD_CHUNK);
      const b = {
        x: owner.create('x', n * inSize * 4, S, randomArray(n * inSize, 1)),
        params: owner.create('params', P * 4, S, randomArray(P, 2)),
        dZ: owner.create('dZ', n * outSize * 4, S, randomArray(n * outSize, 3)),
        zBelow: owner.create('z below', n * inSize * 4, S, randomArray(n * inSize, 4)),
        z: owner.create('z', n * outSize * 4, S | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST),
        a: owner.create('a', n * outSize * 4, S),
        partial: owner.create('partial sums', partialRows * P * 4, S | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST),
        dA: owner.create('dA', n * inSize * 4, S | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST),
      };
      const uniform = (record: UniformRecord) => owner.create('sizes', record.data.byteLength, GPUBufferUsage.UNIFORM, record.data);
      const forwardSizes = uniform(new UniformRecord().u32(n).u32(inSize).u32(outSize).u32(0).u32(outSize * inSize));
      const gradSizes = uniform(new UniformRecord().u32(n).u32(outSize).u32(inSize).u32(0).u32(outSize * inSize).u32(P).u32(GRAD_CHUNK).u32(0).u32(0));
      const inputSizes = uniform(new UniformRecord().u32(n).u32(outSize).u32(inSize).u32(0));
      for (const family of FAMILIES) {
        const prepared: Prepared[] = [];
        let reference: Float32Array | null = null;
        for (const version of VERSIONS) {
          const p = version.profile;
          const c = version.constants;
          const [kernel, resources, workgroups, output] =
            family === 'forward'
              ? ([p.forward, [b.z, b.a, b.x, b.params, forwardSizes], forwardWorkgroups(p.forward, n, outSize, c), b.z] as const)
              : family === 'gradWeights'
                ? ([p.gradWeights, [b.partial, b.dZ, b.x, gradSizes], gradWeightsWorkgroups(p.gradWeights, n, outSize, inSize, GRAD_CHUNK, c), b.partial] as const)
                : ([p.gradInputActivationBackward, [b.dA, b.dZ, b.params, b.zBelow, inputSizes], gradInputWorkgroups(p.gradInputActivationBackward, n, inSize, c), b.dA] as const);
          const createStart = performance.now();
          const pipeline = await library.pipeline(kernel, { ...c, ACTIVATION: ACTIVATION_CODES.softplus });
          const createMs = performance.now() - createStart;
          const bindGroup = library.bindGroup(kernel, `measure ${kernel}`, [...resources]);
          const [wx, wy = 1, wz = 1] = workgroups;
          const run = async (calls: number): Promise<number> => {
            const encoder = ctx.device.createCommandEncoder({ label: `measure ${kernel}` });
            const pass = encoder.beginComputePass({ label: `measure ${kernel}` });
            pass.setPipeline(pipeline);
            pass.setBindGroup(0, bindGroup);
            for (let i = 0; i < calls; i++) pass.dispatchWorkgroups(wx, wy, wz);
            pass.end();
            const start = performance.now();
            ctx.device.queue.submit([encoder.finish()]);
            await ctx.device.queue.onSubmittedWorkDone();
            return performance.now() - start;
          };
          // Check (and warm up): one call, its output against the naive version's.
          await ctx.guarded(`measure ${kernel}`, () => ctx.device.queue.writeBuffer(output, 0, new Float32Array(output.size / 4).fill(NaN)));
          const oneMs = await run(1);
          const got = await readBack(ctx, output);
          if (reference === null) reference = got;
          else {
            const scale = reference.reduce((m, v) => (Number.isNaN(v) ? m : Math.max(m, Math.abs(v))), 0);
            const worst = got.reduce((m, v, i) => (Number.isNaN(reference![i]) ? m : Math.max(m, Math.abs(v - reference![i]))), 0);
            if (!(worst <= 1e-5 * scale)) throw new Error(`${version.name} ${family} ${shape.note}: differs from naive by ${worst} (scale ${scale})`);
          }
          prepared.push({ version, run, best: Infinity, calls: Math.max(1, Math.round(PASS_MS / Math.max(oneMs, 0.01))), createMs, firstMs: oneMs });
        }
        for (let round = 0; round < ROUNDS; round++) {
          for (const p of prepared) p.best = Math.min(p.best, (await p.run(p.calls)) / p.calls);
        }
        const flops = 2 * n * inSize * outSize;
        const naive = prepared[0].best;
        for (const p of prepared) {
          rows.push(`${ctx.adapterName.slice(0, 24)} | ${shape.note} | ${family} | ${p.version.name} | ${p.best.toFixed(2)} ms | ${(flops / (p.best * 1e6)).toFixed(3)} GFLOP/s | ${(naive / p.best).toFixed(2)}x naive | created in ${p.createMs.toFixed(0)} ms, first call ${p.firstMs.toFixed(0)} ms`);
        }
      }
    } finally {
      owner.destroyAll();
    }
  }
}

async function readBack(ctx: GpuContext, buffer: GPUBuffer): Promise<Float32Array> {
  const staging = ctx.device.createBuffer({ label: 'measure readback', size: buffer.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    const encoder = ctx.device.createCommandEncoder({ label: 'measure readback' });
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
    ctx.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    return new Float32Array(staging.getMappedRange().slice(0));
  } finally {
    staging.destroy();
  }
}

it('matmul kernel versions', async () => {
  const rows: string[] = ['adapter | shape | product | version | ms/call (best round) | GFLOP/s | speed-up | pipeline, first call'];
  const only = process.env.ADAPTERS?.split(',');
  for (const adapter of SOFTWARE_ADAPTERS) {
    if (only && !only.includes(adapter)) continue;
    const ctx = await tryAcquire(adapter);
    if (!ctx) continue;
    try {
      await measureAdapter(ctx, rows);
    } finally {
      ctx.destroy();
    }
  }
  console.log(`\n${rows.join('\n')}\n`);
});
