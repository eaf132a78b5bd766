// TensorFlow.js 4.22 as the peer a user would otherwise pick: its cpu backend (plain JS), its wasm backend
// (XNNPACK) and its webgpu backend on a Dawn adapter. The training loop is written as a user would write
// it with tfjs-core: the model as tf.Variables holding the same initial parameters, the forward pass with
// matMul/add/softplus, tf.losses.softmaxCrossEntropy (mean over the batch), gradients from
// tf.variableGrads, and the SGD update w.assign(tf.sub(w, tf.mul(g, lr))) with lr a kept scalar tensor (as
// tf.train.sgd does). Mini-batches take the same samples in the same order as wgtrain (the seeded Feistel
// order of src/cpu/shuffle.ts), gathered on the backend with tf.gather. Production mode (tf.enableProdMode()).
//
// TF.js is loaded on first use, so a build without it (the bundle for a GPU machine) still runs every
// other system and records TF.js rows as failed with the reason.

import { createRequire } from 'node:module';
import path from 'node:path';
import type * as TfCore from '@tensorflow/tfjs-core';
import { layerCount, type MlpParams } from '../../src/model/mlp.ts';
import { acquireNodeGpu, listNodeAdapters } from '../../src/gpu/nodeGpu.ts';
import { describeAdapter, isSoftwareAdapter } from '../../src/gpu/device.ts';
import { shuffledIndex } from '../../src/cpu/shuffle.ts';
import { SHUFFLE_SEED, type WorkloadInputs } from '../workloads.ts';
import type { DeviceKey, System, SystemId, TrainingRun } from './system.ts';
import { cpuName } from './wgtrainCpu.ts';

export type Tf = typeof TfCore;
export type TfBackendName = 'cpu' | 'wasm' | 'webgpu';

let tfPromise: Promise<Tf> | null = null;

/** tfjs-core with its gradients and the cpu backend registered (wasm and webgpu: when first opened). */
export function loadTf(): Promise<Tf> {
  tfPromise ??= (async () => {
    const core = (await import('@tensorflow/tfjs-core')) as Tf & { default?: Tf };
    const tf = core.default ?? core;
    // tfjs-core alone registers no gradients (the @tensorflow/tfjs union package imports this file); it
    // ships only as ES modules with extensionless imports, so it is bundled (bench/vite.config.ts) or
    // transformed (vitest), and registers into tfjs-core's global gradient registry.
    await import('@tensorflow/tfjs-core/dist/register_all_gradients');
    await import('@tensorflow/tfjs-backend-cpu');
    tf.enableProdMode();
    return tf;
  })();
  return tfPromise;
}

let wasmPromise: Promise<void> | null = null;

/** Registers the wasm backend, its .wasm binaries read from the installed package's dist/. */
function loadWasm(): Promise<void> {
  wasmPromise ??= (async () => {
    const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as typeof import('@tensorflow/tfjs-backend-wasm') & { default?: typeof import('@tensorflow/tfjs-backend-wasm') };
    const dist = path.join(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    (wasm.default ?? wasm).setWasmPaths(dist);
  })();
  return wasmPromise;
}

/** Dawn's GPU object behind the webgpu backend now registered (kept alive as long as it is in use). */
let webgpuOwner: { device: GPUDevice; gpu: GPU } | null = null;

/**
 * Registers TF.js's 'webgpu' backend on the chosen Dawn adapter. The factory makes the same requests as
 * tfjs-backend-webgpu's own (src/base.ts: timestamp-query when present, the adapter's limits) on the
 * adapter wgtrain would use for that choice; compatibility-mode adapters (llvmpipe) are requested with
 * featureLevel 'compatibility', which TF.js itself never asks for.
 */
async function registerWebgpu(tf: Tf, choice: Exclude<DeviceKey, 'cpu'>): Promise<{ adapterName: string; software: boolean; timestamps: boolean }> {
  // Loads Dawn with SwiftShader visible (nodeGpu.ts), then asks it for the same adapter.
  const probe = await acquireNodeGpu(choice);
  probe.destroy();
  const dawn = (await import('webgpu')) as unknown as { create(options: string[]): GPU; globals: object };
  const options = choice === 'llvmpipe' ? ['backend=opengles'] : choice === 'swiftshader' ? ['adapter=SwiftShader'] : [];
  const gpu = dawn.create(options);
  const compat = choice === 'llvmpipe';
  const adapter = await gpu.requestAdapter(compat ? { featureLevel: 'compatibility' } : { powerPreference: 'high-performance' });
  if (!adapter) throw new Error(`no ${choice} adapter for TF.js`);
  // Importing the backend registers its kernels (and, with navigator.gpu present, its own factory).
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: 'node' }, configurable: true, writable: true });
  const backendModule = (await import('@tensorflow/tfjs-backend-webgpu')) as typeof import('@tensorflow/tfjs-backend-webgpu') & { default?: typeof import('@tensorflow/tfjs-backend-webgpu') };
  const { WebGPUBackend } = backendModule.default ?? backendModule;
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    label: `TF.js webgpu on ${choice}`,
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  webgpuOwner = { device, gpu };
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info));
  const software = isSoftwareAdapter(adapter.info);
  return { adapterName: describeAdapter(adapter.info) + (compat ? ' [compatibility mode]' : ''), software, timestamps: requiredFeatures.length > 0 };
}

const BACKEND_SYSTEM: Record<TfBackendName, SystemId> = { cpu: 'tfjs-cpu', wasm: 'tfjs-wasm', webgpu: 'tfjs-webgpu' };

export class TfjsSystem implements System {
  readonly id: SystemId;

  private constructor(
    readonly tf: Tf,
    readonly backend: TfBackendName,
    readonly device: DeviceKey,
    readonly adapterName: string,
    readonly software: boolean,
    readonly timestamps: boolean,
    private readonly detail: string,
  ) {
    this.id = BACKEND_SYSTEM[backend];
  }

  /** TF.js on a backend (webgpu: on the given adapter); throws with the reason when it cannot start. */
  static async open(backend: TfBackendName, device: DeviceKey = 'cpu'): Promise<TfjsSystem> {
    const tf = await loadTf();
    if (backend === 'webgpu') {
      if (device === 'cpu') throw new Error('tfjs-webgpu needs an adapter');
      const found = (await listNodeAdapters()).find((a) => a.choice === device);
      if (!found?.found) throw new Error(`no ${device} adapter here`);
      const info = await registerWebgpu(tf, device);
      await setBackendOrThrow(tf, 'webgpu');
      return new TfjsSystem(tf, backend, device, info.adapterName, info.software, info.timestamps, 'webgpu');
    }
    if (backend === 'wasm') await loadWasm();
    await setBackendOrThrow(tf, backend);
    let detail: string = backend;
    if (backend === 'wasm') {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      detail = `wasm${simd ? ' SIMD' : ''}${threads ? ' threaded' : ' single thread'}`;
    }
    return new TfjsSystem(tf, backend, 'cpu', cpuName(), false, false, detail);
  }

  variants(): string[] {
    return [this.detail];
  }

  /** Makes this system's backend the active one (TF.js has one at a time). */
  activate(): Promise<void> {
    return setBackendOrThrow(this.tf, this.backend);
  }

  async start(inputs: WorkloadInputs): Promise<TrainingRun> {
    await this.activate();
    return new TfjsRun(this.tf, inputs, `TF.js ${this.tf.version_core} ${this.detail} (variableGrads + assign SGD)`, this.backend === 'webgpu' ? (webgpuOwner?.device ?? null) : null);
  }

  async close(): Promise<void> {
    if (this.backend === 'webgpu' && webgpuOwner) {
      this.tf.removeBackend('webgpu');
      webgpuOwner.device.destroy();
      webgpuOwner = null;
    }
  }
}

async function setBackendOrThrow(tf: Tf, name: TfBackendName): Promise<void> {
  if (tf.getBackend() === name) return;
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) throw new Error(`TF.js could not start its ${name} backend (tf.setBackend returned ${ok})`);
}

/** The hidden activation as the TF.js op of the same name. */
function activate(tf: Tf, activation: MlpParams['spec']['activation'], z: TfCore.Tensor2D): TfCore.Tensor2D {
  switch (activation) {
    case 'softplus':
      return tf.softplus(z);
    case 'relu':
      return tf.relu(z);
    case 'tanh':
      return tf.tanh(z);
    case 'sigmoid':
      return tf.sigmoid(z);
  }
}

/** One TF.js training run: variables, uploaded data and batch orders; nothing global besides the backend. */
class TfjsRun implements TrainingRun {
  readonly reportedDispatchesPerEpoch = null;
  private readonly weights: TfCore.Variable[] = [];
  private readonly biases: TfCore.Variable[] = [];
  private readonly lr: TfCore.Scalar;
  /** Full batch: x (N, in) and one-hot labels (N, classes). Mini-batches: x (N, in), labels (N) int32. */
  private readonly x: TfCore.Tensor2D;
  private readonly y: TfCore.Tensor;
  private epochs = 0;
  /** Index tensors of each prepared epoch's batches, in order. */
  private batches: TfCore.Tensor1D[][] = [];

  constructor(
    private readonly tf: Tf,
    private readonly inputs: WorkloadInputs,
    readonly label: string,
    readonly gpuDevice: GPUDevice | null,
  ) {
    const { params, train } = inputs;
    const { layers } = params.spec;
    for (let l = 0; l < layerCount(params.spec); l++) {
      // W (out, in) as in wgtrain: the forward is x W^T.
      this.weights.push(tf.variable(tf.tensor2d(params.weights[l], [layers[l + 1], layers[l]]), true));
      this.biases.push(tf.variable(tf.tensor1d(params.biases[l]), true));
    }
    this.lr = tf.keep(tf.scalar(inputs.workload.lr));
    this.x = tf.tensor2d(train.x, [train.size, train.inputs]);
    const labels = tf.tensor1d(Int32Array.from(train.y), 'int32');
    if (this.fullBatch) {
      this.y = tf.cast(tf.oneHot(labels, layers[layers.length - 1]), 'float32');
      labels.dispose();
    } else {
      this.y = labels;
    }
  }

  private get fullBatch(): boolean {
    return this.inputs.batchSize === this.inputs.train.size;
  }

  private logits(x: TfCore.Tensor2D): TfCore.Tensor2D {
    const { tf } = this;
    const last = this.weights.length - 1;
    const { activation } = this.inputs.params.spec;
    let a: TfCore.Tensor2D = x;
    for (let l = 0; l <= last; l++) {
      const z = tf.add(tf.matMul(a, this.weights[l], false, true), this.biases[l]) as TfCore.Tensor2D;
      a = l < last ? activate(tf, activation, z) : z;
    }
    return a;
  }

  /** One SGD step on x (n, in) and one-hot labels (n, classes). */
  private step(x: TfCore.Tensor2D, oneHot: TfCore.Tensor): void {
    const { tf } = this;
    tf.tidy(() => {
      const vars = [...this.weights, ...this.biases];
      const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(oneHot, this.logits(x)) as TfCore.Scalar, vars);
      for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], this.lr)));
    });
  }

  async prepare(epochs: number): Promise<void> {
    if (this.fullBatch) return;
    for (const epoch of this.batches) for (const t of epoch) t.dispose();
    this.batches = [];
    const { train } = this.inputs;
    const B = this.inputs.batchSize;
    for (let e = 0; e < epochs; e++) {
      const epoch: TfCore.Tensor1D[] = [];
      for (let start = 0; start < train.size; start += B) {
        const n = Math.min(B, train.size - start);
        const idx = new Int32Array(n);
        for (let k = 0; k < n; k++) idx[k] = shuffledIndex(start + k, train.size, SHUFFLE_SEED, this.epochs + e);
        epoch.push(this.tf.tensor1d(idx, 'int32'));
      }
      this.batches.push(epoch);
    }
  }

  async train(epochs: number): Promise<void> {
    const { tf } = this;
    const classes = this.inputs.params.spec.layers[this.inputs.params.spec.layers.length - 1];
    if (!this.fullBatch && this.batches.length < epochs) throw new Error(`TfjsRun: train(${epochs}) after prepare(${this.batches.length})`);
    for (let e = 0; e < epochs; e++) {
      if (this.fullBatch) {
        this.step(this.x, this.y);
      } else {
        for (const idx of this.batches[e]) {
          tf.tidy(() => this.step(tf.gather(this.x, idx) as TfCore.Tensor2D, tf.cast(tf.oneHot(tf.gather(this.y, idx) as TfCore.Tensor1D, classes), 'float32')));
        }
      }
    }
    this.epochs += epochs;
    // Waits for the last update (queued GPU work runs in order, so everything before it is done too).
    await this.biases[0].data();
  }

  async params(): Promise<MlpParams> {
    const weights: Float32Array[] = [];
    const biases: Float32Array[] = [];
    for (let l = 0; l < this.weights.length; l++) {
      weights.push(Float32Array.from(await this.weights[l].data()));
      biases.push(Float32Array.from(await this.biases[l].data()));
    }
    return { spec: this.inputs.params.spec, weights, biases };
  }

  dispose(): void {
    for (const epoch of this.batches) for (const t of epoch) t.dispose();
    for (const v of [...this.weights, ...this.biases]) v.dispose();
    this.x.dispose();
    this.y.dispose();
    this.lr.dispose();
  }
}
