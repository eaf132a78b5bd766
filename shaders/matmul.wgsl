// Dense layers: the forward product with bias and activation fused, and its two backward products.
// CPU twins: src/cpu/matmul.ts, activationBackward (src/cpu/activation.ts) for the fused backward, and
// the updates of src/cpu/optimizer.ts for the gradient fused with the update. The host puts step.wgsl,
// activation.wgsl (activate, activateDerivative, ACTIVATION, flatIndex) and optimizer.wgsl (the update
// steps) in front of this file. Row-major throughout. Parameters live in one packed buffer; sizes give
// each tensor's offset.
//
// Versions, one line each (src/gpu/kernels.ts KERNEL_PROFILES picks the ones training uses: `tiled` on
// GPUs; `blocked` on CPU-emulated adapters where it pays (src/gpu/plan.ts autoProfile: long epochs, and
// on SwiftShader wide layers), which run a workgroup's invocations as coroutines and pay for
// every barrier with a switch of each one (there 16 x 16 tiles cost some 50 times the naive kernels), and
// where what counts is multiply-adds per load; `naive` is the baseline both are measured against):
//   matmulBiasActForwardNaive               one invocation per output, the k loop from global memory. (naive)
//   matmulBiasActForward                    TILE x TILE outputs per workgroup; x and W tiles staged in
//                                           workgroup memory as vec4 along k; bias, activation fused. (tiled)
//   matmulBiasActForwardBlocked             one invocation per block of BLOCK_ROWS samples x 4 BLOCK_QUADS
//                                           outputs in vec4 accumulators: per k, BLOCK_ROWS + 4 BLOCK_QUADS
//                                           loads feed BLOCK_ROWS x 4 BLOCK_QUADS multiply-adds (the naive
//                                           version: 2 loads per multiply-add); no workgroup memory, no
//                                           barriers. (blocked)
//   matmulGradWeightsNaive                  one invocation per (row of partial sums, output, input), summing
//                                           its chunk of samples in order. (naive)
//   matmulGradWeights                       the forward's tiling with samples as the k dimension. (tiled)
//   matmulGradWeightsBlocked                one invocation per (row of partial sums, BLOCK_ROWS outputs,
//                                           4 BLOCK_QUADS columns of [dW | db]), the forward's register
//                                           blocking with samples as k. (blocked)
//                                           All three: dW and db together (db as a column of ones in A); each
//                                           chunk of samples sums into its own row of partial sums;
//                                           optimizer.wgsl sums the rows in order (the second pass).
//   matmulGradWeightsUpdateNaive            matmulGradWeightsNaive over a batch of one row, then the
//                                           optimizer step of that parameter: no partial sums. (naive)
//   matmulGradWeightsUpdate                 the same fusion on the tiled matmulGradWeights. (tiled)
//   matmulGradWeightsUpdateBlocked          the same fusion on matmulGradWeightsBlocked. (blocked)
//   matmulGradInput                         one invocation per output, unfused (twin: matmulGradInput).
//   matmulGradInputActivationBackwardNaive  one invocation per output, times act'(z) below. (naive)
//   matmulGradInputActivationBackward       tiled, times act'(z) of the layer below. (tiled)
//   matmulGradInputActivationBackwardBlocked  one invocation per BLOCK_ROWS samples x 4 BLOCK_QUADS inputs,
//                                           the forward's register blocking, times act'(z). (blocked)
//
// Summation orders are fixed by the sizes alone (k tiles in increasing order, vec4 dot products within a
// tile, or plain increasing k), so a run is bitwise repeatable on one adapter. The blocked versions sum
// each output alone in plain increasing k, the naive versions' order; only the grouping of outputs into
// invocations differs.

// Tile edge; a multiple of 4 and at most 16 (TILE * TILE invocations per workgroup).
override TILE: u32 = 16u;

// Two tiles of TILE rows by TILE values along the summed dimension, stored as TILE / 4 vec4 per row.
var<workgroup> tileLeft: array<vec4<f32>, TILE * TILE / 4u>;
var<workgroup> tileRight: array<vec4<f32>, TILE * TILE / 4u>;

// The register-blocked kernels: each invocation owns a block of BLOCK_ROWS rows by 4 BLOCK_QUADS columns
// of its output, held in BLOCK_ROWS x BLOCK_QUADS vec4 accumulators. The arrays are sized by the largest
// block (WGSL sizes function-scope arrays by constants only); the loops over them run to the override
// constants, fixed at pipeline creation, so the compiler can unroll them. The host refuses values past the
// largest block (src/gpu/kernels.ts blockConstantsProblem). On llvmpipe every storage load is a loop
// over the SIMD lanes, so what counts is loads per multiply-add: measured (bench/measure/matmul.measure.ts),
// 16 x 16 blocks run 2-4x faster than 4 x 4 there, and on SwiftShader 4 x 4 is no faster than naive
// while 16 x 16 is about 2x.
const MAX_BLOCK_ROWS: u32 = 16u;
const MAX_BLOCK_QUADS: u32 = 4u;
override BLOCK_ROWS: u32 = 16u;     // rows of a block, 1 .. MAX_BLOCK_ROWS
override BLOCK_QUADS: u32 = 4u;     // columns of a block in vec4s, 1 .. MAX_BLOCK_QUADS
override BLOCK_WORKGROUP: u32 = 32u; // invocations per workgroup

alias Block = array<array<vec4<f32>, MAX_BLOCK_QUADS>, MAX_BLOCK_ROWS>;

/** Index of this invocation in a 1-D range of blocks laid out over a 2-D grid of workgroups (x then y). */
fn blockIndex(id: vec3<u32>, groups: vec3<u32>) -> u32 {
  return id.y * groups.x * BLOCK_WORKGROUP + id.x;
}

/** Blocks along `rows` rows and along `columns` columns. */
fn blockCounts(rows: u32, columns: u32) -> vec2<u32> {
  return vec2<u32>((rows + BLOCK_ROWS - 1u) / BLOCK_ROWS, (columns + 4u * BLOCK_QUADS - 1u) / (4u * BLOCK_QUADS));
}

/** The first row and column of an invocation's block over a (rows, columns) output; `inside`: false past the last block. */
struct BlockOrigin {
  row: u32,
  column: u32,
  inside: bool,
}

/** Blocks flattened as row block * (blocks along columns) + column block. */
fn blockOrigin(id: vec3<u32>, groups: vec3<u32>, rows: u32, columns: u32) -> BlockOrigin {
  let blocks = blockCounts(rows, columns);
  let j = blockIndex(id, groups);
  return BlockOrigin((j / blocks.y) * BLOCK_ROWS, (j % blocks.y) * 4u * BLOCK_QUADS, j < blocks.x * blocks.y);
}

/** Starts of rows first .. first + BLOCK_ROWS - 1 of a (count, width) array, each clamped to the last row. */
fn blockRowStarts(first: u32, count: u32, width: u32) -> array<u32, MAX_BLOCK_ROWS> {
  var starts: array<u32, MAX_BLOCK_ROWS>;
  for (var r = 0u; r < BLOCK_ROWS; r++) {
    starts[r] = min(first + r, count - 1u) * width;
  }
  return starts;
}

/** acc[r][q] += left[r] * right[q] over the block: one more term, in order, of each output's sum. */
fn blockAccumulate(acc: ptr<function, Block>, left: array<f32, MAX_BLOCK_ROWS>, right: array<vec4<f32>, MAX_BLOCK_QUADS>) {
  for (var r = 0u; r < BLOCK_ROWS; r++) {
    for (var q = 0u; q < BLOCK_QUADS; q++) {
      (*acc)[r][q] += left[r] * right[q];
    }
  }
}

/**
 * The block's sums as vec4s, row by row (row r's quad q at r * BLOCK_QUADS + q), for an epilogue that loops
 * over the elements inside the output with run-time bounds: the compilers then keep one copy of its body
 * (the activation, the optimizer step) instead of unrolling it per element, and the accumulators, read
 * here at constant indices only, stay in registers.
 */
fn blockSums(acc: Block) -> array<vec4<f32>, MAX_BLOCK_ROWS * MAX_BLOCK_QUADS> {
  var sums: array<vec4<f32>, MAX_BLOCK_ROWS * MAX_BLOCK_QUADS>;
  for (var r = 0u; r < BLOCK_ROWS; r++) {
    for (var q = 0u; q < BLOCK_QUADS; q++) {
      sums[r * BLOCK_QUADS + q] = acc[r][q];
    }
  }
  return sums;
}

/** Element (r, c) of blockSums' result. */
fn blockSum(sums: ptr<function, array<vec4<f32>, MAX_BLOCK_ROWS * MAX_BLOCK_QUADS>>, r: u32, c: u32) -> f32 {
  return (*sums)[r * BLOCK_QUADS + c / 4u][c % 4u];
}

/**
 * Columns first .. first + 3, each clamped to the last of `count`: a block that overhangs the edge reads
 * valid elements and drops what it computes from the clamped ones (rows likewise, by min).
 */
fn blockColumns(first: u32, count: u32) -> vec4<u32> {
  return min(vec4<u32>(first) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(count - 1u));
}

/** sum over the tile's k of tileLeft[row] . tileRight[column], in increasing k. */
fn tileDot(row: u32, column: u32) -> f32 {
  let quads = TILE / 4u;
  var sum = 0.0;
  for (var q = 0u; q < quads; q++) {
    sum += dot(tileLeft[row * quads + q], tileRight[column * quads + q]);
  }
  return sum;
}

// ---- Forward: z (n, out) = x (n, in) W^T + b; a = act(z) ----

struct ForwardSizes {
  n: u32,       // samples
  inSize: u32,  // inputs per sample
  outSize: u32, // outputs per sample
  wOffset: u32, // W (out, in) starts at params[wOffset]
  bOffset: u32, // b (out) starts at params[bOffset]
}

@group(0) @binding(0) var<storage, read_write> forwardZ: array<f32>; // z (n, out)
@group(0) @binding(1) var<storage, read_write> forwardA: array<f32>; // a (n, out)
@group(0) @binding(2) var<storage, read> forwardX: array<f32>;       // x (n, in)
@group(0) @binding(3) var<storage, read> forwardParams: array<f32>;  // W (out, in), b (out) at their offsets
@group(0) @binding(4) var<uniform> forwardSizes: ForwardSizes;

fn forwardStore(s: u32, o: u32, sum: f32) {
  let zv = sum + forwardParams[forwardSizes.bOffset + o];
  let at = s * forwardSizes.outSize + o;
  forwardZ[at] = zv;
  forwardA[at] = activate(zv);
}

// One invocation per output (s, o), flattened as s * out + o.
@compute @workgroup_size(ELEMENTWISE_WORKGROUP)
fn matmulBiasActForwardNaive(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let sizes = forwardSizes;
  let i = flatIndex(id, groups);
  if (i >= sizes.n * sizes.outSize) {
    return;
  }
  let s = i / sizes.outSize;
  let o = i % sizes.outSize;
  var sum = 0.0;
  for (var k = 0u; k < sizes.inSize; k++) {
    sum += forwardX[s * sizes.inSize + k] * forwardParams[sizes.wOffset + o * sizes.inSize + k];
  }
  forwardStore(s, o, sum);
}

/** x[s][k], 0 outside (n, in). */
fn forwardXAt(s: u32, k: u32) -> f32 {
  if (s < forwardSizes.n && k < forwardSizes.inSize) {
    return forwardX[s * forwardSizes.inSize + k];
  }
  return 0.0;
}

/** W[o][k], 0 outside (out, in). */
fn forwardWAt(o: u32, k: u32) -> f32 {
  if (o < forwardSizes.outSize && k < forwardSizes.inSize) {
    return forwardParams[forwardSizes.wOffset + o * forwardSizes.inSize + k];
  }
  return 0.0;
}

// Workgroup (x, y) computes outputs [x*TILE, +TILE) of samples [y*TILE, +TILE); invocation (lx, ly)
// owns output x*TILE+lx of sample y*TILE+ly. Dispatch (ceil(out / TILE), ceil(n / TILE)).
@compute @workgroup_size(TILE, TILE)
fn matmulBiasActForward(@builtin(local_invocation_id) local: vec3<u32>, @builtin(workgroup_id) group: vec3<u32>) {
  let quads = TILE / 4u;
  let tileQuads = TILE * quads;
  let flat = local.y * TILE + local.x;
  let sampleBase = group.y * TILE;
  let outBase = group.x * TILE;
  let inSize = forwardSizes.inSize;
  var sum = 0.0;
  for (var k0 = 0u; k0 < inSize; k0 += TILE) {
    // The first tileQuads invocations load the x tile, the next tileQuads the W tile, 4 values each.
    if (flat < tileQuads) {
      let s = sampleBase + flat / quads;
      let k = k0 + (flat % quads) * 4u;
      tileLeft[flat] = vec4<f32>(forwardXAt(s, k), forwardXAt(s, k + 1u), forwardXAt(s, k + 2u), forwardXAt(s, k + 3u));
    } else if (flat < 2u * tileQuads) {
      let q = flat - tileQuads;
      let o = outBase + q / quads;
      let k = k0 + (q % quads) * 4u;
      tileRight[q] = vec4<f32>(forwardWAt(o, k), forwardWAt(o, k + 1u), forwardWAt(o, k + 2u), forwardWAt(o, k + 3u));
    }
    workgroupBarrier();
    sum += tileDot(local.y, local.x);
    workgroupBarrier();
  }
  let s = sampleBase + local.y;
  let o = outBase + local.x;
  if (s < forwardSizes.n && o < forwardSizes.outSize) {
    forwardStore(s, o, sum);
  }
}

// One invocation per block of samples [s0, s0 + BLOCK_ROWS) x outputs [o0, o0 + 4 BLOCK_QUADS) (blockOrigin
// over (n, out)); acc[r][q] holds sample s0 + r's outputs
// o0 + 4q .. o0 + 4q + 3. Each k adds x[s0 + r][k] * W[o][k], so every output sums in increasing k.
// Dispatch over ceil(n / BLOCK_ROWS) * ceil(out / (4 BLOCK_QUADS)) blocks.
@compute @workgroup_size(BLOCK_WORKGROUP)
fn matmulBiasActForwardBlocked(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let sizes = forwardSizes;
  let block = blockOrigin(id, groups, sizes.n, sizes.outSize);
  if (!block.inside) {
    return;
  }
  let s0 = block.row;
  let o0 = block.column;
  let x = blockRowStarts(s0, sizes.n, sizes.inSize); // row starts in x (n, in)
  var w: array<vec4<u32>, MAX_BLOCK_QUADS>;         // row starts in W (out, in)
  for (var q = 0u; q < BLOCK_QUADS; q++) {
    w[q] = sizes.wOffset + blockColumns(o0 + 4u * q, sizes.outSize) * sizes.inSize;
  }
  var acc: Block;
  for (var k = 0u; k < sizes.inSize; k++) {
    var wk: array<vec4<f32>, MAX_BLOCK_QUADS>;
    for (var q = 0u; q < BLOCK_QUADS; q++) {
      wk[q] = vec4<f32>(forwardParams[w[q].x + k], forwardParams[w[q].y + k], forwardParams[w[q].z + k], forwardParams[w[q].w + k]);
    }
    var xk: array<f32, MAX_BLOCK_ROWS>;
    for (var r = 0u; r < BLOCK_ROWS; r++) {
      xk[r] = forwardX[x[r] + k];
    }
    blockAccumulate(&acc, xk, wk);
  }
  var sums = blockSums(acc);
  for (var r = 0u; r < min(BLOCK_ROWS, sizes.n - s0); r++) {
    for (var c = 0u; c < min(4u * BLOCK_QUADS, sizes.outSize - o0); c++) {
      forwardStore(s0 + r, o0 + c, blockSum(&sums, r, c));
    }
  }
}

// ---- Weight and bias gradients: dW (out, in) = dZ^T A, db (out) = column sums of dZ ----

struct GradWeightsSizes {
  n: u32,          // samples
  outSize: u32,
  inSize: u32,
  wOffset: u32,    // dW (out, in) goes to row[wOffset..]
  bOffset: u32,    // db (out) goes to row[bOffset..]
  paramCount: u32, // length of one row of partial sums (every parameter of the network)
  chunk: u32,      // samples summed by one workgroup row; row z covers samples [z*chunk, (z+1)*chunk)
  rowBase: u32,    // row z of this dispatch is row rowBase + z of the partial sums
  stateStride: u32, // matmulGradWeightsUpdate*: Adam's second moments start at state[stateStride]
}

@group(0) @binding(0) var<storage, read_write> gradWeightsPartial: array<f32>; // (rows, paramCount)
@group(0) @binding(1) var<storage, read> gradWeightsDZ: array<f32>;           // dZ (n, out)
@group(0) @binding(2) var<storage, read> gradWeightsA: array<f32>;            // A (n, in)
@group(0) @binding(3) var<uniform> gradWeightsSizes: GradWeightsSizes;

/** Where gradient (o, i) goes in a row of partial sums: dW[o][i], or db[o] for the column i = in. */
fn gradWeightsAt(o: u32, i: u32) -> u32 {
  let sizes = gradWeightsSizes;
  return select(sizes.wOffset + o * sizes.inSize + i, sizes.bOffset + o, i == sizes.inSize);
}

// One invocation per (row r, output o, column i of [dW | db]), flattened as (r * out + o) * (in + 1) + i;
// the sum over samples [r*chunk, (r+1)*chunk) in increasing order. Dispatch over rows * out * (in + 1).
@compute @workgroup_size(ELEMENTWISE_WORKGROUP)
fn matmulGradWeightsNaive(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let sizes = gradWeightsSizes;
  let columns = sizes.inSize + 1u;
  let j = flatIndex(id, groups);
  let rows = (sizes.n + sizes.chunk - 1u) / sizes.chunk;
  if (j >= rows * sizes.outSize * columns) {
    return;
  }
  let i = j % columns;
  let o = (j / columns) % sizes.outSize;
  let r = j / (columns * sizes.outSize);
  let end = min(sizes.n, (r + 1u) * sizes.chunk);
  var sum = 0.0;
  for (var s = r * sizes.chunk; s < end; s++) {
    let a = select(gradWeightsA[s * sizes.inSize + min(i, sizes.inSize - 1u)], 1.0, i == sizes.inSize);
    sum += gradWeightsDZ[s * sizes.outSize + o] * a;
  }
  gradWeightsPartial[(sizes.rowBase + r) * sizes.paramCount + gradWeightsAt(o, i)] = sum;
}

/** dZ[s][o], 0 outside [.., end) x (.., out). */
fn gradWeightsDZAt(s: u32, o: u32, end: u32) -> f32 {
  if (s < end && o < gradWeightsSizes.outSize) {
    return gradWeightsDZ[s * gradWeightsSizes.outSize + o];
  }
  return 0.0;
}

/** A[s][i] with a column of ones at i = in (for db), 0 outside. */
fn gradWeightsAAt(s: u32, i: u32, end: u32) -> f32 {
  if (s >= end || i > gradWeightsSizes.inSize) {
    return 0.0;
  }
  if (i == gradWeightsSizes.inSize) {
    return 1.0;
  }
  return gradWeightsA[s * gradWeightsSizes.inSize + i];
}

// Workgroup (x, y, z) computes columns [x*TILE, +TILE) of [dW | db] (in + 1 columns) for outputs
// [y*TILE, +TILE), summed over the samples of chunk z in increasing tiles of TILE samples.
// Dispatch (ceil((in + 1) / TILE), ceil(out / TILE), ceil(n / chunk)).
@compute @workgroup_size(TILE, TILE)
fn matmulGradWeights(@builtin(local_invocation_id) local: vec3<u32>, @builtin(workgroup_id) group: vec3<u32>) {
  let sizes = gradWeightsSizes;
  let quads = TILE / 4u;
  let tileQuads = TILE * quads;
  let flat = local.y * TILE + local.x;
  let outBase = group.y * TILE;
  let inBase = group.x * TILE;
  let start = group.z * sizes.chunk;
  let end = min(sizes.n, start + sizes.chunk);
  var sum = 0.0;
  for (var s0 = start; s0 < end; s0 += TILE) {
    // tileLeft row r: dZ[s0.., outBase + r]; tileRight row r: A[s0.., inBase + r]; vec4 along samples.
    if (flat < tileQuads) {
      let o = outBase + flat / quads;
      let s = s0 + (flat % quads) * 4u;
      tileLeft[flat] = vec4<f32>(gradWeightsDZAt(s, o, end), gradWeightsDZAt(s + 1u, o, end), gradWeightsDZAt(s + 2u, o, end), gradWeightsDZAt(s + 3u, o, end));
    } else if (flat < 2u * tileQuads) {
      let q = flat - tileQuads;
      let i = inBase + q / quads;
      let s = s0 + (q % quads) * 4u;
      tileRight[q] = vec4<f32>(gradWeightsAAt(s, i, end), gradWeightsAAt(s + 1u, i, end), gradWeightsAAt(s + 2u, i, end), gradWeightsAAt(s + 3u, i, end));
    }
    workgroupBarrier();
    sum += tileDot(local.y, local.x);
    workgroupBarrier();
  }
  let o = outBase + local.y;
  let i = inBase + local.x;
  if (o < sizes.outSize && i <= sizes.inSize) {
    gradWeightsPartial[(sizes.rowBase + group.z) * sizes.paramCount + gradWeightsAt(o, i)] = sum;
  }
}

/**
 * The block of [dW | db] for outputs [o0, o0 + BLOCK_ROWS) and columns [i0, i0 + 4 BLOCK_QUADS) (column in
 * is db's column of ones), summed over samples [start, end) in increasing order: acc[r][q] holds output
 * o0 + r's columns i0 + 4q .. i0 + 4q + 3. Outputs and columns past the edge hold junk for the caller to
 * drop.
 */
fn gradWeightsBlock(o0: u32, i0: u32, start: u32, end: u32) -> Block {
  let sizes = gradWeightsSizes;
  let d = blockRowStarts(o0, sizes.outSize, 1u); // columns of dZ (n, out), clamped
  var a: array<vec4<u32>, MAX_BLOCK_QUADS>;  // columns of A (n, in), clamped
  var ones: array<vec4<bool>, MAX_BLOCK_QUADS>; // db's column
  for (var q = 0u; q < BLOCK_QUADS; q++) {
    a[q] = blockColumns(i0 + 4u * q, sizes.inSize);
    ones[q] = vec4<u32>(i0 + 4u * q) + vec4<u32>(0u, 1u, 2u, 3u) == vec4<u32>(sizes.inSize);
  }
  var acc: Block;
  for (var s = start; s < end; s++) {
    let aRow = s * sizes.inSize;
    let dRow = s * sizes.outSize;
    var av: array<vec4<f32>, MAX_BLOCK_QUADS>;
    for (var q = 0u; q < BLOCK_QUADS; q++) {
      let loaded = vec4<f32>(gradWeightsA[aRow + a[q].x], gradWeightsA[aRow + a[q].y], gradWeightsA[aRow + a[q].z], gradWeightsA[aRow + a[q].w]);
      av[q] = select(loaded, vec4<f32>(1.0), ones[q]);
    }
    var dz: array<f32, MAX_BLOCK_ROWS>;
    for (var r = 0u; r < BLOCK_ROWS; r++) {
      dz[r] = gradWeightsDZ[dRow + d[r]];
    }
    blockAccumulate(&acc, dz, av);
  }
  return acc;
}

// One invocation per (row r, outputs [o0, o0 + BLOCK_ROWS), columns [i0, i0 + 4 BLOCK_QUADS) of [dW | db]),
// flattened as (r * (blocks along out) + output block) * (blocks along in + 1) + column block; each sum
// over samples [r*chunk, (r+1)*chunk) in increasing order. Dispatch over
// rows * ceil(out / BLOCK_ROWS) * ceil((in + 1) / (4 BLOCK_QUADS)) blocks.
@compute @workgroup_size(BLOCK_WORKGROUP)
fn matmulGradWeightsBlocked(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let sizes = gradWeightsSizes;
  let blocks = blockCounts(sizes.outSize, sizes.inSize + 1u);
  let rows = (sizes.n + sizes.chunk - 1u) / sizes.chunk;
  let j = blockIndex(id, groups);
  if (j >= rows * blocks.x * blocks.y) {
    return;
  }
  let i0 = (j % blocks.y) * 4u * BLOCK_QUADS;
  let o0 = ((j / blocks.y) % blocks.x) * BLOCK_ROWS;
  let r = j / (blocks.x * blocks.y);
  var sums = blockSums(gradWeightsBlock(o0, i0, r * sizes.chunk, min(sizes.n, (r + 1u) * sizes.chunk)));
  let row = (sizes.rowBase + r) * sizes.paramCount;
  for (var b = 0u; b < min(BLOCK_ROWS, sizes.outSize - o0); b++) {
    for (var c = 0u; c < min(4u * BLOCK_QUADS, sizes.inSize + 1u - i0); c++) {
      gradWeightsPartial[row + gradWeightsAt(o0 + b, i0 + c)] = blockSum(&sums, b, c);
    }
  }
}

// ---- Input gradient: dA (n, in) = dZ (n, out) W (out, in), optionally times act'(z) of the layer below ----

struct GradInputSizes {
  n: u32,       // samples
  outSize: u32,
  inSize: u32,
  wOffset: u32, // W (out, in) starts at params[wOffset]
}

@group(0) @binding(0) var<storage, read_write> gradInputOut: array<f32>; // dA, or dZ of the layer below (n, in)
@group(0) @binding(1) var<storage, read> gradInputDZ: array<f32>;        // dZ (n, out)
@group(0) @binding(2) var<storage, read> gradInputParams: array<f32>;    // W (out, in) at wOffset
@group(0) @binding(3) var<uniform> gradInputSizes: GradInputSizes;
// matmulGradInputActivationBackward only: z of the layer below (n, in), and its sizes after it.
@group(0) @binding(3) var<storage, read> gradInputZBelow: array<f32>;
@group(0) @binding(4) var<uniform> gradInputFusedSizes: GradInputSizes;

// One invocation per output (s, i), flattened as s * in + i.
@compute @workgroup_size(ELEMENTWISE_WORKGROUP)
fn matmulGradInput(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let sizes = gradInputSizes;
  let j = flatIndex(id, groups);
  if (j >= sizes.n * sizes.inSize) {
    return;
  }
  let s = j / sizes.inSize;
  let i = j % sizes.inSize;
  var sum = 0.0;
  for (var o = 0u; o < sizes.outSize; o++) {
    sum += gradInputDZ[s * sizes.outSize + o] * gradInputParams[sizes.wOffset + o * sizes.inSize + i];
  }
  gradInputOut[j] = sum;
}

// dZ below (n, in) = (dZ W) * act'(z below), one invocation per output (s, i), flattened as s * in + i.
@compute @workgroup_size(ELEMENTWISE_WORKGROUP)
fn matmulGradInputActivationBackwardNaive(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let sizes = gradInputFusedSizes;
  let j = flatIndex(id, groups);
  if (j >= sizes.n * sizes.inSize) {
    return;
  }
  let s = j / sizes.inSize;
  let i = j % sizes.inSize;
  var sum = 0.0;
  for (var o = 0u; o < sizes.outSize; o++) {
    sum += gradInputDZ[s * sizes.outSize + o] * gradInputParams[sizes.wOffset + o * sizes.inSize + i];
  }
  gradInputOut[j] = sum * activateDerivative(gradInputZBelow[j]);
}

/** dZ[s][o], 0 outside (n, out). */
fn gradInputDZAt(s: u32, o: u32) -> f32 {
  if (s < gradInputFusedSizes.n && o < gradInputFusedSizes.outSize) {
    return gradInputDZ[s * gradInputFusedSizes.outSize + o];
  }
  return 0.0;
}

/** W[o][i], 0 outside (out, in). */
fn gradInputWAt(o: u32, i: u32) -> f32 {
  if (o < gradInputFusedSizes.outSize && i < gradInputFusedSizes.inSize) {
    return gradInputParams[gradInputFusedSizes.wOffset + o * gradInputFusedSizes.inSize + i];
  }
  return 0.0;
}

// dZ below (n, in) = (dZ W) * act'(z below). Workgroup (x, y) computes inputs [x*TILE, +TILE) of samples
// [y*TILE, +TILE), summing over outputs in increasing tiles. Dispatch (ceil(in / TILE), ceil(n / TILE)).
@compute @workgroup_size(TILE, TILE)
fn matmulGradInputActivationBackward(@builtin(local_invocation_id) local: vec3<u32>, @builtin(workgroup_id) group: vec3<u32>) {
  let quads = TILE / 4u;
  let tileQuads = TILE * quads;
  let flat = local.y * TILE + local.x;
  let sampleBase = group.y * TILE;
  let inBase = group.x * TILE;
  let outSize = gradInputFusedSizes.outSize;
  var sum = 0.0;
  for (var o0 = 0u; o0 < outSize; o0 += TILE) {
    // tileLeft row r: dZ[sampleBase + r, o0..]; tileRight row r: W[o0.., inBase + r]; vec4 along outputs.
    if (flat < tileQuads) {
      let s = sampleBase + flat / quads;
      let o = o0 + (flat % quads) * 4u;
      tileLeft[flat] = vec4<f32>(gradInputDZAt(s, o), gradInputDZAt(s, o + 1u), gradInputDZAt(s, o + 2u), gradInputDZAt(s, o + 3u));
    } else if (flat < 2u * tileQuads) {
      let q = flat - tileQuads;
      let i = inBase + q / quads;
      let o = o0 + (q % quads) * 4u;
      tileRight[q] = vec4<f32>(gradInputWAt(o, i), gradInputWAt(o + 1u, i), gradInputWAt(o + 2u, i), gradInputWAt(o + 3u, i));
    }
    workgroupBarrier();
    sum += tileDot(local.y, local.x);
    workgroupBarrier();
  }
  let s = sampleBase + local.y;
  let i = inBase + local.x;
  if (s < gradInputFusedSizes.n && i < gradInputFusedSizes.inSize) {
    let at = s * gradInputFusedSizes.inSize + i;
    gradInputOut[at] = sum * activateDerivative(gradInputZBelow[at]);
  }
}

// dZ below (n, in) = (dZ W) * act'(z below). One invocation per block of samples [s0, s0 + BLOCK_ROWS) x
// inputs [i0, i0 + 4 BLOCK_QUADS) (blockOrigin over (n, in)); acc[r][q]
// holds sample s0 + r's inputs i0 + 4q .. i0 + 4q + 3. Each output o adds dZ[s0 + r][o] * W[o][i], so every
// sum runs over outputs in increasing order. Dispatch over ceil(n / BLOCK_ROWS) * ceil(in / (4 BLOCK_QUADS))
// blocks.
@compute @workgroup_size(BLOCK_WORKGROUP)
fn matmulGradInputActivationBackwardBlocked(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let sizes = gradInputFusedSizes;
  let block = blockOrigin(id, groups, sizes.n, sizes.inSize);
  if (!block.inside) {
    return;
  }
  let s0 = block.row;
  let i0 = block.column;
  let d = blockRowStarts(s0, sizes.n, sizes.outSize); // row starts in dZ (n, out)
  var w: array<vec4<u32>, MAX_BLOCK_QUADS>;          // columns of W (out, in)
  for (var q = 0u; q < BLOCK_QUADS; q++) {
    w[q] = sizes.wOffset + blockColumns(i0 + 4u * q, sizes.inSize);
  }
  var acc: Block;
  for (var o = 0u; o < sizes.outSize; o++) {
    let wRow = o * sizes.inSize;
    var wo: array<vec4<f32>, MAX_BLOCK_QUADS>;
    for (var q = 0u; q < BLOCK_QUADS; q++) {
      wo[q] = vec4<f32>(gradInputParams[w[q].x + wRow], gradInputParams[w[q].y + wRow], gradInputParams[w[q].z + wRow], gradInputParams[w[q].w + wRow]);
    }
    var dz: array<f32, MAX_BLOCK_ROWS>;
    for (var r = 0u; r < BLOCK_ROWS; r++) {
      dz[r] = gradInputDZ[d[r] + o];
    }
    blockAccumulate(&acc, dz, wo);
  }
  var sums = blockSums(acc);
  for (var r = 0u; r < min(BLOCK_ROWS, sizes.n - s0); r++) {
    for (var c = 0u; c < min(4u * BLOCK_QUADS, sizes.inSize - i0); c++) {
      let at = (s0 + r) * sizes.inSize + i0 + c;
      gradInputOut[at] = blockSum(&sums, r, c) * activateDerivative(gradInputZBelow[at]);
    }
  }
}

// ---- Weight and bias gradients fused with the update (a batch of one row of partial sums) ----

@group(0) @binding(0) var<storage, read_write> updateParams: array<f32>; // params (P), updated in place
@group(0) @binding(4) var<storage, read_write> updateState: array<f32>;  // velocity, or m then v at stateStride

/**
 * The optimizer step of parameter i with gradient g (sgdUpdate, momentumUpdate, adamUpdate of
 * optimizer.wgsl, by OPTIMIZER), Adam's corrections from the step record.
 */
fn applyUpdate(i: u32, g: f32) {
  let o = optimizer;
  let wd = decayOf(i, o);
  let p = updateParams[i];
  switch OPTIMIZER {
    case OPT_MOMENTUM: {
      let r = momentumStep(p, updateState[i], g, wd, o);
      updateParams[i] = r.x;
      updateState[i] = r.y;
    }
    case OPT_ADAM: {
      let second = gradWeightsSizes.stateStride + i;
      let r = adamStep(p, updateState[i], updateState[second], g, wd, o, vec2<f32>(step.correction1, step.correction2));
      updateParams[i] = r.x;
      updateState[i] = r.y;
      updateState[second] = r.z;
    }
    default: {
      updateParams[i] = sgdStep(p, g, wd, o);
    }
  }
}

// matmulGradWeightsNaive's sum over all n samples (n <= chunk: one row), then the update of that
// parameter. Dispatch over out * (in + 1).
@compute @workgroup_size(ELEMENTWISE_WORKGROUP)
fn matmulGradWeightsUpdateNaive(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let sizes = gradWeightsSizes;
  let columns = sizes.inSize + 1u;
  let j = flatIndex(id, groups);
  if (j >= sizes.outSize * columns) {
    return;
  }
  let i = j % columns;
  let o = j / columns;
  var sum = 0.0;
  for (var s = 0u; s < sizes.n; s++) {
    let a = select(gradWeightsA[s * sizes.inSize + min(i, sizes.inSize - 1u)], 1.0, i == sizes.inSize);
    sum += gradWeightsDZ[s * sizes.outSize + o] * a;
  }
  applyUpdate(gradWeightsAt(o, i), sum);
}

// matmulGradWeights' tiles over all n samples (n <= chunk: one row), then the update of each parameter.
// Dispatch (ceil((in + 1) / TILE), ceil(out / TILE)).
@compute @workgroup_size(TILE, TILE)
fn matmulGradWeightsUpdate(@builtin(local_invocation_id) local: vec3<u32>, @builtin(workgroup_id) group: vec3<u32>) {
  let sizes = gradWeightsSizes;
  let quads = TILE / 4u;
  let tileQuads = TILE * quads;
  let flat = local.y * TILE + local.x;
  let outBase = group.y * TILE;
  let inBase = group.x * TILE;
  let end = sizes.n;
  var sum = 0.0;
  for (var s0 = 0u; s0 < end; s0 += TILE) {
    if (flat < tileQuads) {
      let o = outBase + flat / quads;
      let s = s0 + (flat % quads) * 4u;
      tileLeft[flat] = vec4<f32>(gradWeightsDZAt(s, o, end), gradWeightsDZAt(s + 1u, o, end), gradWeightsDZAt(s + 2u, o, end), gradWeightsDZAt(s + 3u, o, end));
    } else if (flat < 2u * tileQuads) {
      let q = flat - tileQuads;
      let i = inBase + q / quads;
      let s = s0 + (q % quads) * 4u;
      tileRight[q] = vec4<f32>(gradWeightsAAt(s, i, end), gradWeightsAAt(s + 1u, i, end), gradWeightsAAt(s + 2u, i, end), gradWeightsAAt(s + 3u, i, end));
    }
    workgroupBarrier();
    sum += tileDot(local.y, local.x);
    workgroupBarrier();
  }
  let o = outBase + local.y;
  let i = inBase + local.x;
  if (o < sizes.outSize && i <= sizes.inSize) {
    applyUpdate(gradWeightsAt(o, i), sum);
  }
}

// matmulGradWeightsBlocked's block sums over all n samples (n <= chunk: one row), then the update of each
// parameter; blocks as blockOrigin over (out, in + 1). Dispatch over ceil(out / BLOCK_ROWS) * ceil((in + 1) / (4 BLOCK_QUADS)) blocks.
@compute @workgroup_size(BLOCK_WORKGROUP)
fn matmulGradWeightsUpdateBlocked(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let sizes = gradWeightsSizes;
  let block = blockOrigin(id, groups, sizes.outSize, sizes.inSize + 1u);
  if (!block.inside) {
    return;
  }
  let o0 = block.row;
  let i0 = block.column;
  var sums = blockSums(gradWeightsBlock(o0, i0, 0u, sizes.n));
  for (var b = 0u; b < min(BLOCK_ROWS, sizes.outSize - o0); b++) {
    for (var c = 0u; c < min(4u * BLOCK_QUADS, sizes.inSize + 1u - i0); c++) {
      applyUpdate(gradWeightsAt(o0 + b, i0 + c), blockSum(&sums, b, c));
    }
  }
}
