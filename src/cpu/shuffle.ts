// CPU twin of shaders/shuffle.wgsl. Seeded shuffling that the CPU and the GPU compute identically,
// without uploading a permutation:
// position i of epoch e maps to sample shuffledIndex(i, n, seed, e), a bijection on [0, n) built from a
// 4-round Feistel network over the smallest even-width power of two >= n, with cycle walking back into
// range. Only 32-bit integer operations, so the WGSL repeats it bit for bit.

/** lowbias32 (Chris Wellons): a good 32-bit integer hash. */
export function hash32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Bits per Feistel half for a domain of n values (at least 1). */
export function feistelHalfBits(n: number): number {
  let bits = 0;
  while (bits < 32 && 2 ** bits < n) bits++;
  return Math.max(1, Math.ceil(bits / 2));
}

/** Round key r of epoch `epoch` under `seed`. */
function roundKey(seed: number, epoch: number, round: number): number {
  return hash32((hash32(seed >>> 0) ^ Math.imul(epoch + 1, 0x9e3779b9) ^ Math.imul(round + 1, 0x632be5ab)) >>> 0);
}

/** The sample at position i (0 <= i < n) of epoch `epoch`'s shuffled order. */
export function shuffledIndex(i: number, n: number, seed: number, epoch: number): number {
  const half = feistelHalfBits(n);
  const mask = half >= 32 ? 0xffffffff : (1 << half) - 1;
  let x = i >>> 0;
  do {
    let left = x >>> half;
    let right = x & mask;
    for (let round = 0; round < 4; round++) {
      const f = hash32((right ^ roundKey(seed, epoch, round)) >>> 0) & mask;
      const next = (left ^ f) >>> 0;
      left = right;
      right = next;
    }
    x = ((left << half) | right) >>> 0;
  } while (x >= n);
  return x;
}

/**
 * Copies the samples at positions [start, start + count) of epoch `epoch`'s shuffled order into a batch:
 * batchX (count, inputs), batchY (count) from x (n, inputs), y (n).
 */
export function gatherBatch(
  batchX: Float32Array,
  batchY: Uint32Array,
  x: Float32Array,
  y: Uint32Array,
  start: number,
  count: number,
  inputs: number,
  n: number,
  seed: number,
  epoch: number,
): void {
  for (let k = 0; k < count; k++) {
    const i = shuffledIndex(start + k, n, seed, epoch);
    for (let j = 0; j < inputs; j++) batchX[k * inputs + j] = x[i * inputs + j];
    batchY[k] = y[i];
  }
}
