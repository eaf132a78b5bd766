import { it } from 'vitest';
import { acquireNodeGpu } from '../../../src/gpu/nodeGpu.ts';
it('limits', async () => {
for (const a of ['swiftshader', 'llvmpipe'] as const) {
  const ctx = await acquireNodeGpu(a);
  const l = ctx.device.limits;
  console.log(a, ctx.adapterName, [...ctx.device.features], l.maxStorageBuffersPerShaderStage, l.maxComputeWorkgroupStorageSize, l.maxComputeInvocationsPerWorkgroup, l.minStorageBufferOffsetAlignment, l.minUniformBufferOffsetAlignment, l.maxUniformBufferBindingSize);
  const gpu = (ctx as any).gpuOwner as GPU;
  const ad = await gpu.requestAdapter(a === 'llvmpipe' ? { featureLevel: 'compatibility' } : undefined);
  console.log(ad!.info.subgroupMinSize, ad!.info.subgroupMaxSize, (ad!.info as any).isFallbackAdapter);
  ctx.destroy();
}
});
