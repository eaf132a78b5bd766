import { test } from 'vitest';
import { acquireNodeGpu } from '../../src/gpu/nodeGpu.ts';
test('probe', async () => {
for (const c of ['swiftshader', 'llvmpipe'] as const) {
  const ctx = await acquireNodeGpu(c);
  const d = ctx.device;
  const code = `
override T: u32 = 4u;
var<workgroup> tile: array<vec4<f32>, T * T / 4u>;
@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@group(0) @binding(1) var<uniform> u: vec4<u32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@compute @workgroup_size(T) fn e1(@builtin(local_invocation_index) i: u32) { tile[i][i % 4u] = f32(u.x); workgroupBarrier(); a[i] = tile[i].x + f32(countLeadingZeros(i)); }
@compute @workgroup_size(T) fn e2(@builtin(local_invocation_index) i: u32) { a[i] = b[i]; }
`;
  d.pushErrorScope('validation');
  const m = d.createShaderModule({ code });
  const info = await m.getCompilationInfo();
  console.log(c, info.messages.map((x) => x.message));
  try {
    const p = await d.createComputePipelineAsync({ layout: 'auto', compute: { module: m, entryPoint: 'e1', constants: { T: 8 } } });
    const p2 = await d.createComputePipelineAsync({ layout: 'auto', compute: { module: m, entryPoint: 'e2' } });
    console.log(c, 'ok', !!p, !!p2);
  } catch (e) { console.log(c, 'pipeline error', String(e)); }
  console.log(c, 'scope', (await d.popErrorScope())?.message);
  ctx.destroy();
}
});
