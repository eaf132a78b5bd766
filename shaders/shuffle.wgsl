// Seeded shuffling, bit for bit the same as src/cpu/shuffle.ts (its CPU twin): position i of epoch e maps to
// sample shuffledIndex(i, n, seed, e), a 4-round Feistel bijection on [0, n) with cycle walking. Only
// 32-bit integer operations (u32 multiplication wraps like Math.imul). The host puts step.wgsl first.

override GATHER_WORKGROUP: u32 = 256u;

/** lowbias32 (Chris Wellons). */
fn hash32(value: u32) -> u32 {
  var x = value;
  x = x ^ (x >> 16u);
  x = x * 0x7feb352du;
  x = x ^ (x >> 15u);
  x = x * 0x846ca68bu;
  return x ^ (x >> 16u);
}

/** Bits per Feistel half for a domain of n values: ceil(ceil(log2 n) / 2), at least 1. */
fn feistelHalfBits(n: u32) -> u32 {
  var bits = 0u;
  if (n > 1u) {
    bits = 32u - countLeadingZeros(n - 1u);
  }
  return max(1u, (bits + 1u) / 2u);
}

/** Round key r of epoch `epoch` under `seed`. */
fn roundKey(seed: u32, epoch: u32, round: u32) -> u32 {
  return hash32(hash32(seed) ^ ((epoch + 1u) * 0x9e3779b9u) ^ ((round + 1u) * 0x632be5abu));
}

/** The sample at position i (0 <= i < n) of epoch `epoch`'s shuffled order. */
fn shuffledIndex(i: u32, n: u32, seed: u32, epoch: u32) -> u32 {
  let half = feistelHalfBits(n);
  let mask = (1u << half) - 1u; // half <= 16
  var keys: array<u32, 4>;
  for (var round = 0u; round < 4u; round++) {
    keys[round] = roundKey(seed, epoch, round);
  }
  var x = i;
  loop {
    var left = x >> half;
    var right = x & mask;
    for (var round = 0u; round < 4u; round++) {
      let next = left ^ (hash32(right ^ keys[round]) & mask);
      left = right;
      right = next;
    }
    x = (left << half) | right;
    if (x < n) {
      break;
    }
  }
  return x;
}

struct GatherSizes {
  count: u32,        // batch positions gathered by this dispatch
  chunkStart: u32,   // offset of this dispatch's first position within the batch
  inputs: u32,       // features per sample
  dataSize: u32,     // samples in the whole data set (the shuffle's domain)
  seed: u32,         // shuffle seed
  segmentStart: u32, // first sample held by the bound segment of the data set
  segmentCount: u32, // samples in the bound segment
}

@group(0) @binding(0) var<storage, read_write> gatherBatchX: array<f32>; // batch x (count, inputs)
@group(0) @binding(1) var<storage, read_write> gatherBatchY: array<u32>; // batch y (count)
@group(0) @binding(2) var<storage, read> gatherX: array<f32>;           // segment x (segmentCount, inputs)
@group(0) @binding(3) var<storage, read> gatherY: array<u32>;           // segment y (segmentCount)
@group(0) @binding(4) var<uniform> gatherSizes: GatherSizes;

// Batch row k = sample shuffledIndex(step.batchStart + chunkStart + k, dataSize, seed, step.epoch), copied
// when that sample lies in the bound segment (a data set larger than one binding takes one dispatch per
// segment). CPU twin: gatherBatch (src/cpu/shuffle.ts).
@compute @workgroup_size(GATHER_WORKGROUP)
fn gatherBatch(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let sizes = gatherSizes;
  let k = id.y * groups.x * GATHER_WORKGROUP + id.x;
  if (k >= sizes.count) {
    return;
  }
  let sample = shuffledIndex(step.batchStart + sizes.chunkStart + k, sizes.dataSize, sizes.seed, step.epoch);
  if (sample < sizes.segmentStart || sample - sizes.segmentStart >= sizes.segmentCount) {
    return;
  }
  let local = sample - sizes.segmentStart;
  for (var j = 0u; j < sizes.inputs; j++) {
    gatherBatchX[k * sizes.inputs + j] = gatherX[local * sizes.inputs + j];
  }
  gatherBatchY[k] = gatherY[local];
}
