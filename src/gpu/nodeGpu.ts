// Adapter choice in Node through Dawn (the `webgpu` package): a hardware adapter when there is one; else
// SwiftShader (core WebGPU on Vulkan, shipped by Debian's chromium package); else Mesa llvmpipe through
// OpenGL ES in compatibility mode.

import { existsSync } from 'node:fs';
import { createContext, isSoftwareAdapter, describeAdapter, NoGpuError, type FeatureLevel, type GpuContext } from './device.ts';

export const ADAPTER_CHOICES = ['auto', 'hardware', 'swiftshader', 'llvmpipe'] as const;
export type AdapterChoice = (typeof ADAPTER_CHOICES)[number];

/** Where Debian's chromium package installs SwiftShader's Vulkan driver. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Dawn zero-initialises workgroup memory before every compute shader runs, and SwiftShader compiles that
 * initialisation element by element: pipeline creation took 1 s for the fused trainer's ~1000 words and
 * 3-5 s for 2000 (0.4 s without, whatever the size; bench/measure/fused.measure.ts). Every kernel here
 * writes workgroup memory before it reads it (see shaders/fused.wgsl), so on SwiftShader the device skips
 * it. Hardware adapters keep Dawn's default.
 */
export const SWIFTSHADER_WORKGROUP_INIT = 'enable-dawn-features=disable_workgroup_init';

type DawnModule = { create(options: string[]): GPU; globals: object };
let dawn: DawnModule | null = null;

/** Loads Dawn once, after making SwiftShader visible to the Vulkan loader beside any real driver. */
async function loadDawn(): Promise<DawnModule> {
  if (dawn) return dawn;
  if (existsSync(SWIFTSHADER_ICD) && !process.env.VK_ADD_DRIVER_FILES) process.env.VK_ADD_DRIVER_FILES = SWIFTSHADER_ICD;
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const module = (await import('webgpu')) as unknown as DawnModule;
  // GPUBufferUsage, GPUMapMode, ... as globals, as in a browser.
  Object.assign(globalThis, module.globals);
  dawn = module;
  return module;
}

interface Candidate {
  choice: Exclude<AdapterChoice, 'auto'>;
  gpu: GPU;
  adapter: GPUAdapter;
  featureLevel: FeatureLevel;
}

async function findCandidate(choice: Exclude<AdapterChoice, 'auto'>): Promise<Candidate | null> {
  const { create } = await loadDawn();
  if (choice === 'llvmpipe') {
    const gpu = create(['backend=opengles']);
    const adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' });
    return adapter ? { choice, gpu, adapter, featureLevel: 'compatibility' } : null;
  }
  if (choice === 'swiftshader') {
    const gpu = create(['adapter=SwiftShader', SWIFTSHADER_WORKGROUP_INIT]);
    const adapter = await gpu.requestAdapter();
    return adapter && /swiftshader/i.test(describeAdapter(adapter.info)) ? { choice, gpu, adapter, featureLevel: 'core' } : null;
  }
  const gpu = create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  return adapter && !isSoftwareAdapter(adapter.info) ? { choice, gpu, adapter, featureLevel: 'core' } : null;
}

/** A device on the chosen adapter; `auto` tries hardware, then SwiftShader, then llvmpipe. */
export async function acquireNodeGpu(choice: AdapterChoice = 'auto'): Promise<GpuContext> {
  const order: Exclude<AdapterChoice, 'auto'>[] = choice === 'auto' ? ['hardware', 'swiftshader', 'llvmpipe'] : [choice];
  for (const c of order) {
    const found = await findCandidate(c);
    if (found) return createContext(found.gpu, found.adapter, found.featureLevel, found.gpu);
  }
  throw new NoGpuError(
    choice === 'auto'
      ? `no WebGPU adapter found: no hardware adapter, no SwiftShader (${SWIFTSHADER_ICD}; apt-get install chromium libvulkan1) and no llvmpipe (Mesa OpenGL ES)`
      : `no ${choice} adapter found`,
  );
}

export interface AdapterReport {
  choice: Exclude<AdapterChoice, 'auto'>;
  found: boolean;
  name?: string;
  featureLevel?: FeatureLevel;
  software?: boolean;
  timestampQuery?: boolean;
  maxStorageBufferBindingSize?: number;
}

/** What each adapter choice finds on this machine (for `wgtrain devices`). */
export async function listNodeAdapters(): Promise<AdapterReport[]> {
  const reports: AdapterReport[] = [];
  for (const choice of ['hardware', 'swiftshader', 'llvmpipe'] as const) {
    const found = await findCandidate(choice);
    if (!found) {
      reports.push({ choice, found: false });
      continue;
    }
    const { adapter } = found;
    reports.push({
      choice,
      found: true,
      name: describeAdapter(adapter.info),
      featureLevel: found.featureLevel,
      software: isSoftwareAdapter(adapter.info),
      timestampQuery: adapter.features.has('timestamp-query'),
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    });
  }
  return reports;
}
