// Shared by the GPU tests: which software adapters start here, running one kernel on host arrays, and
// (from ../numeric.ts) seeded inputs and the closeness check every comparison with a CPU twin goes through.

import { BufferOwner, UniformRecord } from '../../src/gpu/buffers.ts';
import type { GpuContext } from '../../src/gpu/device.ts';
import { KERNELS, KernelLibrary, type ConstantName, type KernelName } from '../../src/gpu/kernels.ts';
import { acquireNodeGpu } from '../../src/gpu/nodeGpu.ts';

export { expectClose, randomArray, randomLabels } from '../numeric.ts';

export const SOFTWARE_ADAPTERS = ['swiftshader', 'llvmpipe'] as const;
export type SoftwareAdapter = (typeof SOFTWARE_ADAPTERS)[number];

/** A fresh device on the adapter, or null when it does not start on this machine. */
export async function tryAcquire(adapter: SoftwareAdapter): Promise<GpuContext | null> {
  try {
    return await acquireNodeGpu(adapter);
  } catch {
    return null;
  }
}

/** Which adapters start here (each probed once, its device destroyed). */
export async function availableAdapters(): Promise<Record<SoftwareAdapter, boolean>> {
  const found = {} as Record<SoftwareAdapter, boolean>;
  for (const adapter of SOFTWARE_ADAPTERS) {
    const ctx = await tryAcquire(adapter);
    found[adapter] = ctx !== null;
    ctx?.destroy();
  }
  return found;
}

/** An output array filled with NaN, so that an element the kernel never wrote shows. */
export function poisoned(n: number): Float32Array {
  return new Float32Array(n).fill(NaN);
}

/** A u32 output array filled with 0xffffffff. */
export function poisonedU32(n: number): Uint32Array {
  return new Uint32Array(n).fill(0xffffffff);
}

export type HostArray = Float32Array | Uint32Array;

/**
 * Runs one kernel once. `bindings` follow KERNELS[kernel].bindings: arrays for storage (outputs start
 * from their contents: poison them), UniformRecords for uniforms. Returns every binding read back, in
 * the same order (uniforms as null).
 */
export async function runKernel(
  ctx: GpuContext,
  kernel: KernelName,
  options: {
    bindings: (HostArray | UniformRecord)[];
    workgroups: readonly number[];
    constants?: Partial<Record<ConstantName, number>>;
    step?: UniformRecord;
  },
): Promise<(HostArray | null)[]> {
  const { device } = ctx;
  const library = KernelLibrary.for(ctx);
  const pipeline = await library.pipeline(kernel, options.constants);
  const owner = new BufferOwner(device, `test ${kernel}`);
  try {
    const kinds = KERNELS[kernel].bindings;
    const buffers = options.bindings.map((b, i) => {
      if (b instanceof UniformRecord) return owner.create(`binding ${kinds[i][0]}`, b.data.byteLength, GPUBufferUsage.UNIFORM, b.data);
      return owner.create(`binding ${kinds[i][0]}`, b.byteLength, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, b);
    });
    const bindGroup = library.bindGroup(
      kernel,
      `test ${kernel}`,
      buffers.map((buffer, i) => {
        const b = options.bindings[i];
        return { buffer, offset: 0, size: b instanceof UniformRecord ? b.data.byteLength : b.byteLength };
      }),
    );
    const encoder = device.createCommandEncoder({ label: `test ${kernel}` });
    const pass = encoder.beginComputePass({ label: `test ${kernel}` });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    if (KERNELS[kernel].step) {
      const record = options.step ?? new UniformRecord().u32(0);
      const stepBuffer = owner.create('step', record.data.byteLength, GPUBufferUsage.UNIFORM, record.data);
      pass.setBindGroup(1, device.createBindGroup({ layout: library.stepLayout, entries: [{ binding: 0, resource: { buffer: stepBuffer, size: record.data.byteLength } }] }), [0]);
    }
    const [x, y = 1, z = 1] = options.workgroups;
    pass.dispatchWorkgroups(x, y, z);
    pass.end();
    const readbacks = options.bindings.map((b, i) => {
      if (b instanceof UniformRecord || kinds[i][1] !== 'write') return null;
      const staging = owner.create(`readback ${i}`, b.byteLength, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
      encoder.copyBufferToBuffer(buffers[i], 0, staging, 0, b.byteLength);
      return staging;
    });
    await ctx.guarded(`test ${kernel}`, () => device.queue.submit([encoder.finish()]));
    const results: (HostArray | null)[] = [];
    for (let i = 0; i < readbacks.length; i++) {
      const staging = readbacks[i];
      const b = options.bindings[i];
      if (!staging || b instanceof UniformRecord) {
        results.push(null);
        continue;
      }
      await staging.mapAsync(GPUMapMode.READ, 0, b.byteLength);
      const bytes = staging.getMappedRange(0, b.byteLength).slice(0);
      staging.unmap();
      results.push(b instanceof Float32Array ? new Float32Array(bytes) : new Uint32Array(bytes));
    }
    ctx.check();
    return results;
  } finally {
    owner.destroyAll();
  }
}
