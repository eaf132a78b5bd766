// The fast CPU network: the same computation as network.ts (the reference), float32 storage, float64
// sums, reorganised for speed. The batch runs in blocks of BLOCK_SAMPLES samples whose every
// intermediate (z, a, act'(z), dZ of each layer) stays in L1/L2 cache, instead of the reference's
// kernel-by-kernel passes over (batch, width) arrays; products run in register tiles of two by four; no
// exp or tanh is taken twice. Tied to the reference by test/cpu/fastTrainer.test.ts.
//
// What is the same as the reference, operation for operation: every forward sum and every dA sum runs
// in float64 over the same indices in the same order and is rounded to float32 where the reference
// stores it (z, a, dZ, dA, the per-sample loss).
// What differs, and why the results still agree to float32 rounding:
// - weight and bias gradients sum each block in float64 and add the block's sum to a float64 total
//   (the reference adds sample by sample): a different float64 grouping, relative change ~1e-16;
// - e^x is expNonPositive (within 2^-51 relative) instead of Math.exp, and softplus's log1p(e) is
//   log1pUnit (within 1e-13 relative) instead of Math.log1p;
// - act'(z) is computed in the forward from the same float64 values the reference recomputes in the
//   backward (e = exp(-|z|) for softplus's sigmoid, t = tanh(z), s = sigmoid(z)): no second exp or tanh.

import { layerCount, type Activation, type MlpParams } from '../model/mlp.ts';
import { ACTIVATION_FUNCTIONS, sigmoid } from './activation.ts';

/** log1p(j/64) and 1/(1 + j/64), j = 0..64: the table points of log1pUnit. */
const LOG1P_AT_POINT = Float64Array.from({ length: 65 }, (_, j) => Math.log1p(j / 64));
const INVERSE_OF_POINT = Float64Array.from({ length: 65 }, (_, j) => 1 / (1 + j / 64));

/**
 * log1p(u) for u in [0, 1], float64 to within 1e-13 relative, 2x cheaper than Math.log1p in V8 and no
 * division: with c = 1 + j/64 the nearest table point, log1p(u) = log(c) + log1p(x), x = (u - j/64) / c,
 * |x| <= 1/128, log1p(x) by its series to x^6. u - j/64 is exact (Sterbenz), so tiny u lose nothing.
 */
export function log1pUnit(u: number): number {
  const j = (u * 64 + 0.5) | 0;
  const x = (u - j / 64) * INVERSE_OF_POINT[j];
  const x2 = x * x;
  // x - x^2/2 + x^3/3 - x^4/4 + x^5/5 - x^6/6, grouped in x^2 for a shorter dependency chain.
  const series = x + x2 * (-1 / 2 + x * (1 / 3) + x2 * (-1 / 4 + x * (1 / 5) + x2 * (-1 / 6)));
  return LOG1P_AT_POINT[j] + series;
}

/** 2^(-i/64), i = 0..63: the fractional powers of expNonPositive's range reduction. */
const POW2_FRACTION = Float64Array.from({ length: 64 }, (_, i) => Math.pow(2, -i / 64));
/** 2^-j, j = 0..1075 (2^-1075 rounds to 0): the integral powers, down to the smallest subnormal. */
const POW2_INTEGER = Float64Array.from({ length: 1076 }, (_, j) => Math.pow(2, -j));
const STEPS_PER_LN2 = 64 * Math.LOG2E;
/** ln2 / 64 in two parts (fdlibm's split of ln2): n * LN2_64_HIGH is exact for the n used here. */
const LN2_64_HIGH = 6.9314718036912382e-1 / 64;
const LN2_64_LOW = 1.9082149292705877e-10 / 64;

/**
 * e^x for x <= 0 (every exp this network takes: -|z| and logit - max), float64 to within 2^-51
 * relative, 3x faster than Math.exp in V8: x = -(n/64) ln2 + r with |r| <= ln2/128, e^r by its Taylor series to
 * r^5 (truncation below 4e-17), times 2^(-(n mod 64)/64) and 2^-(n div 64) from tables. 0 below -745
 * (where float64's e^x underflows too); NaN stays NaN.
 */
export function expNonPositive(x: number): number {
  if (!(x > -745)) return x !== x ? x : 0;
  const n = (0.5 - x * STEPS_PER_LN2) | 0;
  const r = x + n * LN2_64_HIGH + n * LN2_64_LOW;
  // 1 + r + r^2/2 + r^3/6 + r^4/24 + r^5/120, grouped in r^2 for a shorter dependency chain.
  const r2 = r * r;
  const series = 1 + r + r2 * (1 / 2 + r * (1 / 6) + r2 * (1 / 24 + r * (1 / 120)));
  return series * (POW2_FRACTION[n & 63] * POW2_INTEGER[n >> 6]);
}

/** softplus(z) = max(z, 0) + log1p(e^-|z|) as activateRows computes it; finite for any finite z. */
export function fastSoftplus(z: number): number {
  return (z + Math.abs(z)) * 0.5 + log1pUnit(expNonPositive(-Math.abs(z)));
}

/**
 * a (count) = act(z) and derivative (count) = act'(z) in float64, from the same intermediate (e, t, s)
 * the forward already has. z, a, derivative: the same rows of one block.
 */
function activateRows(a: Float32Array, derivative: Float64Array, z: Float32Array, count: number, activation: Activation): void {
  switch (activation) {
    case 'softplus':
      // Two passes, e = exp(-|z|) first (kept in derivative), then log1p and sigmoid from it: each pass's
      // dependency chain is half as long, so the CPU overlaps more elements (about 1.5x faster than one).
      // e <= 1: never an exp of a large positive number.
      for (let j = 0; j < count; j++) derivative[j] = expNonPositive(-Math.abs(z[j]));
      // No branch on the sign of z (unpredictable: about 1.4x faster), and still bit-identical:
      // max(z, 0) = (z + |z|) / 2 exactly for finite z (z = -Infinity gives NaN here, 0 in the reference:
      // a model that far gone fails loudly); sigmoid(z) = 1 / (1 + e^-z) for z >= 0 and e^z / (1 + e^z)
      // below, the reference's two branches, as (negative ? e : 1) / (1 + e) with an exact select.
      for (let j = 0; j < count; j++) {
        const v = z[j];
        const e = derivative[j];
        a[j] = (v + Math.abs(v)) * 0.5 + log1pUnit(e);
        const negative = +(v < 0);
        derivative[j] = (negative * e + (1 - negative)) / (1 + e);
      }
      return;
    case 'relu':
      for (let j = 0; j < count; j++) {
        const v = z[j];
        a[j] = v > 0 ? v : 0;
        derivative[j] = v > 0 ? 1 : 0;
      }
      return;
    case 'tanh':
      for (let j = 0; j < count; j++) {
        const t = Math.tanh(z[j]);
        a[j] = t;
        derivative[j] = 1 - t * t;
      }
      return;
    case 'sigmoid':
      for (let j = 0; j < count; j++) {
        const s = sigmoid(z[j]);
        a[j] = s;
        derivative[j] = s * (1 - s);
      }
      return;
    default: {
      // An activation without a case above (one added later): the reference's own functions, slower.
      const { forward, derivative: actDerivative } = ACTIVATION_FUNCTIONS[activation as Activation];
      for (let j = 0; j < count; j++) {
        a[j] = forward(z[j]);
        derivative[j] = actDerivative(z[j]);
      }
    }
  }
}

/**
 * z (n, out) = x (n, in) W^T + b, x read from x[xAt ..]. W (out, in), b (out). Register tiles of two
 * samples by four outputs: each load of x serves four outputs, each load of W two samples. Every sum
 * still runs over k in increasing order in float64 from 0 and is rounded once on the store, as
 * matmulBiasActForward.
 */
function denseForward(z: Float32Array, x: Float32Array, xAt: number, W: Float32Array, b: Float32Array, n: number, inSize: number, outSize: number): void {
  if (inSize === 2) {
    denseForwardTwoInputs(z, x, xAt, W, b, n, outSize);
    return;
  }
  // The last sample of an odd count pairs with itself: computed twice, stored twice, the same value.
  for (let s = 0; s < n; s += 2) denseForwardSamples(z, x, xAt, W, b, s, Math.min(s + 1, n - 1), inSize, outSize);
}

/** denseForward's rows s0 and s1: two samples by four outputs a tile. */
function denseForwardSamples(z: Float32Array, x: Float32Array, xAt: number, W: Float32Array, b: Float32Array, s0: number, s1: number, inSize: number, outSize: number): void {
  const xRow0 = xAt + s0 * inSize;
  const xRow1 = xAt + s1 * inSize;
  const zRow0 = s0 * outSize;
  const zRow1 = s1 * outSize;
  let o = 0;
  for (; o + 4 <= outSize; o += 4) {
    const w0 = o * inSize;
    const w1 = w0 + inSize;
    const w2 = w1 + inSize;
    const w3 = w2 + inSize;
    let sum00 = 0;
    let sum01 = 0;
    let sum02 = 0;
    let sum03 = 0;
    let sum10 = 0;
    let sum11 = 0;
    let sum12 = 0;
    let sum13 = 0;
    for (let k = 0; k < inSize; k++) {
      const v0 = x[xRow0 + k];
      const v1 = x[xRow1 + k];
      const c0 = W[w0 + k];
      const c1 = W[w1 + k];
      const c2 = W[w2 + k];
      const c3 = W[w3 + k];
      sum00 += v0 * c0;
      sum01 += v0 * c1;
      sum02 += v0 * c2;
      sum03 += v0 * c3;
      sum10 += v1 * c0;
      sum11 += v1 * c1;
      sum12 += v1 * c2;
      sum13 += v1 * c3;
    }
    z[zRow0 + o] = sum00 + b[o];
    z[zRow0 + o + 1] = sum01 + b[o + 1];
    z[zRow0 + o + 2] = sum02 + b[o + 2];
    z[zRow0 + o + 3] = sum03 + b[o + 3];
    z[zRow1 + o] = sum10 + b[o];
    z[zRow1 + o + 1] = sum11 + b[o + 1];
    z[zRow1 + o + 2] = sum12 + b[o + 2];
    z[zRow1 + o + 3] = sum13 + b[o + 3];
  }
  for (; o < outSize; o++) {
    const w = o * inSize;
    let sum0 = 0;
    let sum1 = 0;
    for (let k = 0; k < inSize; k++) {
      const c = W[w + k];
      sum0 += x[xRow0 + k] * c;
      sum1 += x[xRow1 + k] * c;
    }
    z[zRow0 + o] = sum0 + b[o];
    z[zRow1 + o] = sum1 + b[o];
  }
}

/**
 * denseForward for in = 2 (2-D data: the assignment's first layer), where the k loop would cost more
 * than its two products. Each sum is x0 W[o,0] + x1 W[o,1] from 0, as the general loop forms it.
 */
function denseForwardTwoInputs(z: Float32Array, x: Float32Array, xAt: number, W: Float32Array, b: Float32Array, n: number, outSize: number): void {
  for (let s = 0, xRow = xAt, zRow = 0; s < n; s++, xRow += 2, zRow += outSize) {
    const x0 = x[xRow];
    const x1 = x[xRow + 1];
    for (let o = 0; o < outSize; o++) z[zRow + o] = x0 * W[2 * o] + x1 * W[2 * o + 1] + b[o];
  }
}

/**
 * gradW (out, in) += dZ^T A and gradB (out) += column sums of dZ over one block: dZ (n, out), A (n, in)
 * read from A[aAt ..]. Each block's sums run over samples in order in float64 registers, in tiles of two
 * outputs by four inputs (each load of A serves two outputs, each load of dZ four inputs), and are added
 * to the float64 totals once per block. The last 0-3 inputs and the bias share one more pass (for in = 2,
 * the assignment's first layer, that is the only pass).
 */
function accumulateWeightGradients(gradW: Float64Array, gradB: Float64Array, dZ: Float32Array, A: Float32Array, aAt: number, n: number, outSize: number, inSize: number): void {
  // The last output of an odd count pairs with itself; its second copy is not added.
  for (let o = 0; o < outSize; o += 2) accumulateOutputs(gradW, gradB, dZ, A, aAt, n, outSize, inSize, o, Math.min(o + 1, outSize - 1));
}

/** accumulateWeightGradients for outputs o0 and o1 (o1 = o0: for o0 alone). */
function accumulateOutputs(gradW: Float64Array, gradB: Float64Array, dZ: Float32Array, A: Float32Array, aAt: number, n: number, outSize: number, inSize: number, o0: number, o1: number): void {
  const tail = inSize % 4;
  const tailAt = inSize - tail;
  const row0 = o0 * inSize;
  const row1 = o1 * inSize;
  const second = o1 - o0;
  const paired = second !== 0;
  for (let i = 0; i < tailAt; i += 4) {
    let sum00 = 0;
    let sum01 = 0;
    let sum02 = 0;
    let sum03 = 0;
    let sum10 = 0;
    let sum11 = 0;
    let sum12 = 0;
    let sum13 = 0;
    for (let s = 0, dAt = o0, a = aAt + i; s < n; s++, dAt += outSize, a += inSize) {
      const d0 = dZ[dAt];
      const d1 = dZ[dAt + second];
      const v0 = A[a];
      const v1 = A[a + 1];
      const v2 = A[a + 2];
      const v3 = A[a + 3];
      sum00 += d0 * v0;
      sum01 += d0 * v1;
      sum02 += d0 * v2;
      sum03 += d0 * v3;
      sum10 += d1 * v0;
      sum11 += d1 * v1;
      sum12 += d1 * v2;
      sum13 += d1 * v3;
    }
    gradW[row0 + i] += sum00;
    gradW[row0 + i + 1] += sum01;
    gradW[row0 + i + 2] += sum02;
    gradW[row0 + i + 3] += sum03;
    if (paired) {
      gradW[row1 + i] += sum10;
      gradW[row1 + i + 1] += sum11;
      gradW[row1 + i + 2] += sum12;
      gradW[row1 + i + 3] += sum13;
    }
  }
  let bias0 = 0;
  let bias1 = 0;
  let sum00 = 0;
  let sum01 = 0;
  let sum02 = 0;
  let sum10 = 0;
  let sum11 = 0;
  let sum12 = 0;
  for (let s = 0, dAt = o0, a = aAt + tailAt; s < n; s++, dAt += outSize, a += inSize) {
    const d0 = dZ[dAt];
    const d1 = dZ[dAt + second];
    bias0 += d0;
    bias1 += d1;
    // Loop-invariant branches: predicted, and no element past the row is read.
    if (tail > 0) {
      const v = A[a];
      sum00 += d0 * v;
      sum10 += d1 * v;
    }
    if (tail > 1) {
      const v = A[a + 1];
      sum01 += d0 * v;
      sum11 += d1 * v;
    }
    if (tail > 2) {
      const v = A[a + 2];
      sum02 += d0 * v;
      sum12 += d1 * v;
    }
  }
  gradB[o0] += bias0;
  if (tail > 0) gradW[row0 + tailAt] += sum00;
  if (tail > 1) gradW[row0 + tailAt + 1] += sum01;
  if (tail > 2) gradW[row0 + tailAt + 2] += sum02;
  if (!paired) return;
  gradB[o1] += bias1;
  if (tail > 0) gradW[row1 + tailAt] += sum10;
  if (tail > 1) gradW[row1 + tailAt + 1] += sum11;
  if (tail > 2) gradW[row1 + tailAt + 2] += sum12;
}

/**
 * dZBelow (n, in) = (dZ (n, out) W (out, in)) * derivative (n, in): the gradient into the layer's input,
 * rounded to float32 as the reference's dA, times act'(z) of the layer below. Register tiles of two
 * samples by four inputs: each load of W serves two samples, each load of dZ four inputs. Sums run over
 * outputs in increasing order, as matmulGradInput.
 */
function backpropagate(dZBelow: Float32Array, dZ: Float32Array, W: Float32Array, derivative: Float64Array, n: number, outSize: number, inSize: number): void {
  // The last sample of an odd count pairs with itself, as in denseForward.
  for (let s = 0; s < n; s += 2) backpropagateSamples(dZBelow, dZ, W, derivative, s, Math.min(s + 1, n - 1), outSize, inSize);
}

/** backpropagate's rows s0 and s1: two samples by four inputs a tile. */
function backpropagateSamples(dZBelow: Float32Array, dZ: Float32Array, W: Float32Array, derivative: Float64Array, s0: number, s1: number, outSize: number, inSize: number): void {
  const dRow0 = s0 * outSize;
  const dRow1 = s1 * outSize;
  const row0 = s0 * inSize;
  const row1 = s1 * inSize;
  let i = 0;
  for (; i + 4 <= inSize; i += 4) {
    let sum00 = 0;
    let sum01 = 0;
    let sum02 = 0;
    let sum03 = 0;
    let sum10 = 0;
    let sum11 = 0;
    let sum12 = 0;
    let sum13 = 0;
    for (let o = 0; o < outSize; o++) {
      const d0 = dZ[dRow0 + o];
      const d1 = dZ[dRow1 + o];
      const w = o * inSize + i;
      const c0 = W[w];
      const c1 = W[w + 1];
      const c2 = W[w + 2];
      const c3 = W[w + 3];
      sum00 += d0 * c0;
      sum01 += d0 * c1;
      sum02 += d0 * c2;
      sum03 += d0 * c3;
      sum10 += d1 * c0;
      sum11 += d1 * c1;
      sum12 += d1 * c2;
      sum13 += d1 * c3;
    }
    dZBelow[row0 + i] = Math.fround(sum00) * derivative[row0 + i];
    dZBelow[row0 + i + 1] = Math.fround(sum01) * derivative[row0 + i + 1];
    dZBelow[row0 + i + 2] = Math.fround(sum02) * derivative[row0 + i + 2];
    dZBelow[row0 + i + 3] = Math.fround(sum03) * derivative[row0 + i + 3];
    dZBelow[row1 + i] = Math.fround(sum10) * derivative[row1 + i];
    dZBelow[row1 + i + 1] = Math.fround(sum11) * derivative[row1 + i + 1];
    dZBelow[row1 + i + 2] = Math.fround(sum12) * derivative[row1 + i + 2];
    dZBelow[row1 + i + 3] = Math.fround(sum13) * derivative[row1 + i + 3];
  }
  for (; i < inSize; i++) {
    let sum0 = 0;
    let sum1 = 0;
    for (let o = 0; o < outSize; o++) {
      const c = W[o * inSize + i];
      sum0 += dZ[dRow0 + o] * c;
      sum1 += dZ[dRow1 + o] * c;
    }
    dZBelow[row0 + i] = Math.fround(sum0) * derivative[row0 + i];
    dZBelow[row1 + i] = Math.fround(sum1) * derivative[row1 + i];
  }
}

/** Samples per block: big enough to amortise per-block work, small enough for L1/L2 at widths of hundreds. */
export const BLOCK_SAMPLES = 64;

/** Block scratch and float64 gradient totals, allocated once per network. */
export class FastNetwork {
  private readonly sizes: readonly number[];
  private readonly last: number;
  private readonly activation: Activation;
  /** z[l] (BLOCK_SAMPLES, layers[l+1]): pre-activations of layer l (z[last]: the logits). */
  private readonly z: Float32Array[];
  /** a[l] (BLOCK_SAMPLES, layers[l+1]): activations of hidden layer l. */
  private readonly a: Float32Array[];
  /** derivative[l] (BLOCK_SAMPLES, layers[l+1]): act'(z[l]) in float64, kept from the forward for the backward. */
  private readonly derivative: Float64Array[];
  /** dZ[l] (BLOCK_SAMPLES, layers[l+1]): loss gradient with respect to z[l]. */
  private readonly dZ: Float32Array[];
  /** exps (classes): one sample's e^(z - max), rounded to float32 as the reference stores them in dZ. */
  private readonly exps: Float32Array;
  /** gradW[l] (layers[l+1], layers[l]), gradB[l] (layers[l+1]): float64 totals over the batch. */
  private readonly gradW: Float64Array[];
  private readonly gradB: Float64Array[];
  /** The latest sample's cross-entropy (rounded to float32) and argmax, from lossOfSample. */
  private sampleLoss = 0;
  private samplePredicted = 0;

  constructor(private readonly params: MlpParams) {
    const { layers, activation } = params.spec;
    this.sizes = layers;
    this.last = layerCount(params.spec) - 1;
    this.activation = activation;
    const widths = layers.slice(1);
    this.z = widths.map((w) => new Float32Array(BLOCK_SAMPLES * w));
    this.a = widths.map((w) => new Float32Array(BLOCK_SAMPLES * w));
    this.derivative = widths.map((w) => new Float64Array(BLOCK_SAMPLES * w));
    this.dZ = widths.map((w) => new Float32Array(BLOCK_SAMPLES * w));
    this.exps = new Float32Array(layers[layers.length - 1]);
    this.gradW = widths.map((w, l) => new Float64Array(w * layers[l]));
    this.gradB = widths.map((w) => new Float64Array(w));
  }

  /**
   * Forward, loss and backward of one batch x (n, inputs), y (n), as network.ts forwardBackward: grads
   * gets the gradient of the MEAN cross-entropy over the batch. Returns the summed loss (float64) and
   * the number classified right.
   */
  forwardBackward(grads: MlpParams, x: Float32Array, y: Uint32Array, n: number): { lossSum: number; correct: number } {
    const { sizes, last } = this;
    for (let l = 0; l <= last; l++) {
      this.gradW[l].fill(0);
      this.gradB[l].fill(0);
    }
    const scale = 1 / n;
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < n; start += BLOCK_SAMPLES) {
      const count = Math.min(BLOCK_SAMPLES, n - start);
      const xAt = start * sizes[0];
      this.forwardBlock(x, xAt, count);
      for (let s = 0; s < count; s++) {
        const label = y[start + s];
        this.lossOfSample(s, label, this.dZ[last], scale);
        lossSum += this.sampleLoss;
        if (this.samplePredicted === label) correct++;
      }
      for (let l = last; l >= 0; l--) {
        const input = l === 0 ? x : this.a[l - 1];
        accumulateWeightGradients(this.gradW[l], this.gradB[l], this.dZ[l], input, l === 0 ? xAt : 0, count, sizes[l + 1], sizes[l]);
        if (l > 0) backpropagate(this.dZ[l - 1], this.dZ[l], this.params.weights[l], this.derivative[l - 1], count, sizes[l + 1], sizes[l]);
      }
    }
    for (let l = 0; l <= last; l++) {
      grads.weights[l].set(this.gradW[l]);
      grads.biases[l].set(this.gradB[l]);
    }
    return { lossSum, correct };
  }

  /** predicted (n) = argmax class per sample of x (n, inputs); returns the summed cross-entropy against y (n). */
  lossAndPredictions(predicted: Uint32Array, x: Float32Array, y: Uint32Array, n: number): number {
    let lossSum = 0;
    for (let start = 0; start < n; start += BLOCK_SAMPLES) {
      const count = Math.min(BLOCK_SAMPLES, n - start);
      this.forwardBlock(x, start * this.sizes[0], count);
      for (let s = 0; s < count; s++) {
        this.lossOfSample(s, y[start + s], null, 1);
        lossSum += this.sampleLoss;
        predicted[start + s] = this.samplePredicted;
      }
    }
    return lossSum;
  }

  /** probs (n, classes) = softmax of the logits of x (n, inputs), stable, as the reference's softmax. */
  probabilities(probs: Float32Array, x: Float32Array, n: number): void {
    const classes = this.sizes[this.last + 1];
    const logits = this.z[this.last];
    for (let start = 0; start < n; start += BLOCK_SAMPLES) {
      const count = Math.min(BLOCK_SAMPLES, n - start);
      this.forwardBlock(x, start * this.sizes[0], count);
      for (let s = 0; s < count; s++) {
        const row = s * classes;
        let max = logits[row];
        for (let c = 1; c < classes; c++) if (logits[row + c] > max) max = logits[row + c];
        let sumExp = 0;
        for (let c = 0; c < classes; c++) sumExp += expNonPositive(logits[row + c] - max);
        const logSumExp = max + Math.log(sumExp);
        // logit - logSumExp <= 0 as well: logSumExp >= max.
        for (let c = 0; c < classes; c++) probs[(start + s) * classes + c] = expNonPositive(logits[row + c] - logSumExp);
      }
    }
  }

  /** Every layer for `count` samples x[xAt ..], act'(z) kept for a backward (computed even when only evaluating: it is cheap). */
  private forwardBlock(x: Float32Array, xAt: number, count: number): void {
    const { sizes, last } = this;
    let input = x;
    let inputAt = xAt;
    for (let l = 0; l <= last; l++) {
      denseForward(this.z[l], input, inputAt, this.params.weights[l], this.params.biases[l], count, sizes[l], sizes[l + 1]);
      if (l === last) return;
      activateRows(this.a[l], this.derivative[l], this.z[l], count * sizes[l + 1], this.activation);
      input = this.a[l];
      inputAt = 0;
    }
  }

  /**
   * Cross-entropy of softmax(logits of block sample s) against `label` into sampleLoss (rounded to
   * float32, as the reference's loss array), argmax into samplePredicted, and, when dZ is given, dZ's
   * row s (classes) = (softmax - onehot) * scale. The reference's softmaxCrossEntropy for one row.
   */
  private lossOfSample(s: number, label: number, dZ: Float32Array | null, scale: number): void {
    const classes = this.sizes[this.last + 1];
    const logits = this.z[this.last];
    const row = s * classes;
    const exps = this.exps;
    let max = logits[row];
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (logits[row + c] > max) {
        max = logits[row + c];
        best = c;
      }
    }
    let sumExp = 0;
    for (let c = 0; c < classes; c++) {
      const e = expNonPositive(logits[row + c] - max);
      exps[c] = e;
      sumExp += e;
    }
    this.sampleLoss = Math.fround(Math.log(sumExp) - (logits[row + label] - max));
    this.samplePredicted = best;
    if (dZ === null) return;
    for (let c = 0; c < classes; c++) dZ[row + c] = (exps[c] / sumExp - (c === label ? 1 : 0)) * scale;
  }
}
