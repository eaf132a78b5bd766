// One GPUDevice and what it came from, owned explicitly. Browser-safe: the Node-specific adapter search
// lives in nodeGpu.ts. Validation errors and device loss become thrown errors carrying the adapter's
// message, never silently wrong numbers.

export type FeatureLevel = 'core' | 'compatibility';

/** A device, the adapter it came from, and the state needed to fail loudly. */
export class GpuContext {
  /** Set when the device is lost (destroyed, driver reset, ...); every later use throws it. */
  lostError: Error | null = null;
  private readonly uncaptured: Error[] = [];
  private destroyed = false;
  /** Set on a borrowed context (borrow()): destroy() then ends the borrow, not the device. */
  private lender: GpuContext | null = null;
  private readonly onUncaptured = (event: Event) => {
    this.uncaptured.push(new GpuValidationError(`${this.adapterName}: ${(event as GPUUncapturedErrorEvent).error.message}`));
  };

  constructor(
    readonly device: GPUDevice,
    readonly adapterInfo: GPUAdapterInfo,
    /** "SwiftShader driver 5.0.0 (google swiftshader, vulkan)", for messages and metrics.json. */
    readonly adapterName: string,
    readonly featureLevel: FeatureLevel,
    /** Keeps the object behind navigator.gpu alive as long as the device (Dawn's Node bindings crash otherwise). */
    private readonly gpuOwner: unknown,
  ) {
    device.lost.then((info) => {
      if (!this.destroyed) {
        this.lostError = new GpuDeviceLostError(`GPU device lost on ${adapterName} (${info.reason}): ${info.message || 'no message'}`);
      }
    });
    device.addEventListener('uncapturederror', this.onUncaptured);
  }

  /**
   * The same device for a consumer that destroys what it is given (runSweep, createTrainer's handle), so
   * that a page or a benchmark keeps one device, and its compiled pipelines, across many of them. The
   * borrow has its own error and loss state; its destroy() ends the borrow and leaves the device alive.
   * Destroying the lender loses the device under every borrow, which their next use reports.
   */
  borrow(): GpuContext {
    this.check();
    if (this.destroyed) throw new Error(`the device on ${this.adapterName} was destroyed; it cannot be lent`);
    const borrowed = new GpuContext(this.device, this.adapterInfo, this.adapterName, this.featureLevel, this.gpuOwner);
    borrowed.lender = this;
    return borrowed;
  }

  get isSoftware(): boolean {
    return isSoftwareAdapter(this.adapterInfo);
  }

  get hasTimestamps(): boolean {
    return this.device.features.has('timestamp-query');
  }

  /** Throws if the device was lost or an error escaped every error scope since the last check. */
  check(): void {
    if (this.lostError) throw this.lostError;
    const first = this.uncaptured.shift();
    if (first) {
      this.uncaptured.length = 0;
      throw first;
    }
  }

  /**
   * Runs `create` inside validation and out-of-memory error scopes; throws the first error with `what`
   * in its message. Use around pipeline and buffer creation, where a bad shader or a too-big buffer shows.
   */
  async guarded<T>(what: string, create: () => T): Promise<T> {
    this.check();
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    const result = create();
    const validation = await this.device.popErrorScope();
    const memory = await this.device.popErrorScope();
    const error = validation ?? memory;
    if (error) throw new GpuValidationError(`${what} on ${this.adapterName}: ${error.message}`);
    return result;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.device.removeEventListener('uncapturederror', this.onUncaptured);
    if (this.lender) return;
    this.device.destroy();
    void this.gpuOwner;
  }
}

export class GpuDeviceLostError extends Error {
  override readonly name = 'GpuDeviceLostError';
}

export class GpuValidationError extends Error {
  override readonly name = 'GpuValidationError';
}

export class NoGpuError extends Error {
  override readonly name = 'NoGpuError';
}

/** CPU-emulated adapters: right for correctness, never for reporting GPU speed. */
export function isSoftwareAdapter(info: GPUAdapterInfo): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe|software|warp/.test(text);
}

/**
 * Mesa's llvmpipe and lavapipe (gallivm) stop every loop of an invocation, silently, once that
 * invocation has run 65535 loop iterations in all (LP_MAX_TGSI_LOOP_ITERATIONS; measured here: a loop of
 * 100,000 iterations ends at 65,535, and after that every loop runs at most once). The fused trainer
 * sizes its dispatches to stay below it (src/gpu/plan.ts fusedLoopIterations).
 */
export const GALLIVM_LOOP_LIMIT = 65535;

/** Loop iterations one invocation may run per dispatch: GALLIVM_LOOP_LIMIT on llvmpipe and lavapipe, no limit elsewhere. */
export function loopIterationLimit(ctx: GpuContext): number {
  return /llvmpipe|lavapipe/i.test(ctx.adapterName) ? GALLIVM_LOOP_LIMIT : Infinity;
}

export function describeAdapter(info: GPUAdapterInfo): string {
  const parts = [info.vendor, info.architecture, info.device].filter((s) => s && s.length > 0);
  const description = info.description || parts.join(' ') || 'unknown adapter';
  return parts.length > 0 && info.description ? `${description} (${parts.join(' ')})` : description;
}

/**
 * Requests a device with only what the kernels need: the adapter's storage-buffer binding size and buffer
 * size (to hold large data sets in few bindings) and workgroup memory (for the fused trainer), timestamp
 * queries when present (for benchmarks), subgroups when present (one version of the fused trainer).
 */
export async function createContext(gpu: GPU, adapter: GPUAdapter, featureLevel: FeatureLevel, owner: unknown): Promise<GpuContext> {
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  // For the fused trainer's subgroup version (src/gpu/kernels.ts FUSED_VARIANTS).
  if (adapter.features.has('subgroups')) requiredFeatures.push('subgroups');
  const device = await adapter.requestDevice({
    label: 'wgtrain device',
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBuffersPerShaderStage: Math.min(adapter.limits.maxStorageBuffersPerShaderStage, 8),
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: Math.min(adapter.limits.maxComputeInvocationsPerWorkgroup, 256),
      maxComputeWorkgroupSizeX: Math.min(adapter.limits.maxComputeWorkgroupSizeX, 256),
    },
  });
  void gpu;
  return new GpuContext(device, adapter.info, describeAdapter(adapter.info), featureLevel, owner);
}

/** The browser's WebGPU device, or a NoGpuError saying why there is none. */
export async function acquireBrowserGpu(): Promise<GpuContext> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new NoGpuError('This browser has no WebGPU (navigator.gpu is missing)');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter) return createContext(gpu, adapter, 'core', gpu);
  const compat = await gpu.requestAdapter({ featureLevel: 'compatibility' });
  if (compat) return createContext(gpu, compat, 'compatibility', gpu);
  throw new NoGpuError('WebGPU is present but no adapter is available');
}
