// Timing helpers: statistics over repeats, GPU time from timestamp queries (GpuTimer), and an
// instrumented device that counts the dispatches and compute passes a system encodes and puts timestamps
// around its passes, without changing the system's code. Instrumentation is only ever installed for a
// separate, untimed-by-wall-clock run; wall-clock repeats run on the bare device.

export interface Stats {
  median: number;
  min: number;
  max: number;
  /** Number of samples. */
  n: number;
}

export function stats(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new Error('stats of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

/** Milliseconds `fn` takes (after it resolves). */
export async function timeMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** The most queries one query set holds (WebGPU's limit). */
const MAX_QUERIES = 4096;

/**
 * Timestamp queries around compute passes: timestampWrites() hands out the next begin/end pair (or
 * undefined once the set is full), read() resolves every pair written and returns the summed pass time.
 * Dawn quantizes timestamps (65.536 µs steps by default), so single short passes read as 0 or one step;
 * sums over many passes average that out.
 */
export class GpuTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolve: GPUBuffer;
  private readonly staging: GPUBuffer;
  private used = 0;
  private dropped = 0;

  constructor(
    private readonly device: GPUDevice,
    label: string,
    private readonly capacity = MAX_QUERIES,
  ) {
    this.querySet = device.createQuerySet({ label: `${label} timestamps`, type: 'timestamp', count: capacity });
    this.resolve = device.createBuffer({ label: `${label} timestamps resolved`, size: capacity * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.staging = device.createBuffer({ label: `${label} timestamps staging`, size: capacity * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  /** The timestampWrites of one more pass, or undefined when the set is full (counted as dropped). */
  timestampWrites(): GPUComputePassTimestampWrites | undefined {
    if (this.used + 2 > this.capacity) {
      this.dropped++;
      return undefined;
    }
    const at = this.used;
    this.used += 2;
    return { querySet: this.querySet, beginningOfPassWriteIndex: at, endOfPassWriteIndex: at + 1 };
  }

  /**
   * Resolves the pairs handed out (after the work that wrote them was submitted) and returns the summed
   * pass time in ms, the passes timed, and the passes that got no timestamps because the set was full.
   */
  async read(): Promise<{ ms: number; passes: number; dropped: number }> {
    const passes = this.used / 2;
    if (passes === 0) return { ms: 0, passes: 0, dropped: this.dropped };
    const encoder = this.device.createCommandEncoder({ label: 'GpuTimer resolve' });
    encoder.resolveQuerySet(this.querySet, 0, this.used, this.resolve, 0);
    encoder.copyBufferToBuffer(this.resolve, 0, this.staging, 0, this.used * 8);
    this.device.queue.submit([encoder.finish()]);
    await this.staging.mapAsync(GPUMapMode.READ, 0, this.used * 8);
    const t = new BigUint64Array(this.staging.getMappedRange(0, this.used * 8).slice(0));
    this.staging.unmap();
    let ns = 0;
    for (let p = 0; p < passes; p++) {
      const begin = t[2 * p];
      const end = t[2 * p + 1];
      // A pass whose timestamps were never written (or wrapped) reads 0 or end < begin: left out.
      if (end > begin) ns += Number(end - begin);
    }
    return { ms: ns / 1e6, passes, dropped: this.dropped };
  }

  /** Starts a new measurement (the pairs handed out so far are forgotten). */
  reset(): void {
    this.used = 0;
    this.dropped = 0;
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolve.destroy();
    this.staging.destroy();
  }
}

export interface Instrumentation {
  /** Dispatches and compute passes encoded on the device since install. */
  readonly dispatches: number;
  readonly passes: number;
  /** Puts the device back as it was. */
  restore(): void;
}

/**
 * Wraps `device.createCommandEncoder` (as own properties of this device object and of the encoders and
 * passes it makes; nothing global) to count dispatches and compute passes, and, when `timer` is given,
 * to add timestamp writes to every compute pass that has none. restore() removes the wrappers.
 */
export function instrumentDevice(device: GPUDevice, timer: GpuTimer | null): Instrumentation {
  const counts = { dispatches: 0, passes: 0 };
  const createEncoder = device.createCommandEncoder;
  Object.defineProperty(device, 'createCommandEncoder', {
    configurable: true,
    writable: true,
    value(descriptor?: GPUCommandEncoderDescriptor): GPUCommandEncoder {
      const encoder = createEncoder.call(device, descriptor);
      const beginPass = encoder.beginComputePass;
      Object.defineProperty(encoder, 'beginComputePass', {
        configurable: true,
        value(passDescriptor?: GPUComputePassDescriptor): GPUComputePassEncoder {
          counts.passes++;
          const writes = passDescriptor?.timestampWrites ?? timer?.timestampWrites();
          const pass = beginPass.call(encoder, writes ? { ...passDescriptor, timestampWrites: writes } : passDescriptor);
          const dispatch = pass.dispatchWorkgroups;
          Object.defineProperty(pass, 'dispatchWorkgroups', {
            configurable: true,
            value(x: number, y?: number, z?: number): undefined {
              counts.dispatches++;
              return dispatch.call(pass, x, y, z);
            },
          });
          const indirect = pass.dispatchWorkgroupsIndirect;
          Object.defineProperty(pass, 'dispatchWorkgroupsIndirect', {
            configurable: true,
            value(buffer: GPUBuffer, offset: number): undefined {
              counts.dispatches++;
              return indirect.call(pass, buffer, offset);
            },
          });
          return pass;
        },
      });
      return encoder;
    },
  });
  return {
    get dispatches() {
      return counts.dispatches;
    },
    get passes() {
      return counts.passes;
    },
    restore() {
      delete (device as unknown as Record<string, unknown>).createCommandEncoder;
    },
  };
}
