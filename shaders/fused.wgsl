// The fused trainer: one dispatch of one workgroup trains many epochs (forward, loss, backward and update
// of every batch, then the test set's loss) without leaving the GPU, for models whose parameters,
// gradients and optimizer state fit workgroup memory. The data stay in storage; the parameters live in
// workgroup memory from the dispatch's start to its end; each epoch's sums go to the history buffer.
//
// CPU twin: CpuTrainer itself (src/cpu/cpuTrainer.ts, composing src/cpu/network.ts). The math is the
// general path's, kernel for kernel: the forward of matmulBiasActForwardNaive (k in increasing order, then
// the bias, then the activation), softmaxCrossEntropy's loss and gradient, the input gradient times act'
// of matmulGradInputActivationBackwardNaive (outputs in increasing order), the weight and bias gradients
// of matmulGradWeightsNaive (samples of the batch in increasing order, one float32 sum per parameter) and
// the sgd/momentum/adam updates of optimizer.wgsl. Only the loss sums differ from the general path's
// (see FUSED_LOSS_BLOCK). The host puts step.wgsl, shuffle.wgsl (shuffledIndex) and activation.wgsl
// (activate, activateDerivative, ACTIVATION) in front of this file.
//
// Versions, one line each (src/gpu/fused.ts FUSED_VARIANTS; chooseFusedVariant picks the production one):
//   fusedTrainSerial     one invocation does everything, sample after sample: no barrier at all. (serial)
//   fusedTrainWorkgroup  FUSED_WORKGROUP invocations, one sample each per tile of the batch; then each
//                        invocation adds the tile's terms to the gradients it owns (p % FUSED_WORKGROUP),
//                        in sample order; two barriers per tile, one per update. (workgroup)
//   fusedTrainSubgroup   in fusedSubgroup.wgsl: one subgroup, one sample per invocation; gradients summed
//                        across the tile by subgroupAdd, one barrier per update. (subgroup)
//
// Per-sample scratch ("slots"): the sample's x (inputs), then per layer l its z (out; overwritten by dZ
// in the backward pass) and, below the last layer, its a (out). Slot j of tile lane t is
// fusedScratch[j * FUSED_WORKGROUP + t]. FusedLayer.inSlot is where layer l's input starts (x or the a of
// layer l - 1), zSlot where its z starts.
//
// Parameters are packed as in the general path (every layer's weights, then every layer's biases). The
// model buffer holds [params (P) | gradients (P) | state (stateWords)]: momentum's velocity, or Adam's
// first moments then second moments.

// Most layers a fused model has (sizes of FusedSizes.layers).
const MAX_FUSED_LAYERS: u32 = 8u;
// Samples per float32 partial sum of the loss in fusedTrainSerial; the workgroup variants use a tile.
const FUSED_LOSS_BLOCK: u32 = 64u;
// Optimizer codes (src/gpu/fused.ts OPTIMIZER_CODES).
const OPT_GD: u32 = 0u;
const OPT_MOMENTUM: u32 = 1u;
const OPT_ADAM: u32 = 2u;

// Invocations of the workgroup variants, and lanes of the scratch (1 for fusedTrainSerial).
override FUSED_WORKGROUP: u32 = 64u;
// Parameters P of the model; words of optimizer state (P for momentum, 2P for Adam, at least 1).
override PARAM_WORDS: u32 = 1u;
override STATE_WORDS: u32 = 1u;
// Scratch words per sample (src/gpu/plan.ts fusedSlots).
override SLOT_WORDS: u32 = 1u;
// Which update (OPT_*).
override OPTIMIZER: u32 = OPT_GD;

struct FusedLayer {
  inSize: u32,  // inputs of the layer
  outSize: u32, // outputs
  wOffset: u32, // W (out, in) starts at params[wOffset]
  bOffset: u32, // b (out) starts at params[bOffset]
  inSlot: u32,  // first scratch slot of the layer's input (x for layer 0, else the a of layer l - 1)
  zSlot: u32,   // first scratch slot of the layer's z, then dZ
  aSlot: u32,   // first scratch slot of the layer's a (the layer above's inSlot; unused for the last)
  pad: u32,
}

struct FusedSizes {
  layerCount: u32,
  trainSize: u32,     // samples per epoch
  testSize: u32,      // samples of the test set (0: none)
  batchSize: u32,     // samples per full batch; batchSize < trainSize: shuffled mini-batches
  steps: u32,         // batches per epoch
  paramCount: u32,    // P
  weightCount: u32,   // parameters [0, weightCount) are weights (weight decay applies)
  classes: u32,       // outputs of the last layer
  trainX: u32,        // word offsets into fusedData: train x (trainSize, inputs), train y (trainSize),
  trainY: u32,        //   test x (testSize, inputs), test y (testSize)
  testX: u32,
  testY: u32,
  seed: u32,          // shuffle seed
  pad0: u32,
  pad1: u32,
  pad2: u32,
  lr: f32,            // optimizer: as OptimizerSizes in optimizer.wgsl
  momentum: f32,
  beta1: f32,
  beta2: f32,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
  epsilon: f32,
  weightDecay: f32,
  layers: array<FusedLayer, MAX_FUSED_LAYERS>,
}

// One dispatch's share of a train() chunk, read at a dynamic offset.
struct FusedDispatch {
  firstEpoch: u32,    // 0-based number of the dispatch's first epoch (the key of its shuffle)
  epochs: u32,        // epochs this dispatch trains
  historySlot: u32,   // history record of its first epoch
  stepBase: u32,      // entry of its first step in fusedCorrections
  gradientsOnly: u32, // 1: only the gradient of epoch firstEpoch's first batch, into the model buffer
}

/** One epoch of the history, as recordEpoch writes it (softmaxCrossEntropy.wgsl). */
struct FusedEpochStats {
  trainLossSum: f32,
  trainCorrect: u32,
  testLossSum: f32,
  testCorrect: u32,
}

@group(0) @binding(0) var<storage, read_write> fusedModel: array<f32>;              // params (P), grads (P), state
@group(0) @binding(1) var<storage, read_write> fusedHistory: array<FusedEpochStats>; // (history capacity)
@group(0) @binding(2) var<storage, read> fusedData: array<u32>;                     // x as f32 bits, y
@group(0) @binding(3) var<storage, read> fusedCorrections: array<vec2<f32>>;         // Adam (1-b1^t, 1-b2^t) per step
@group(0) @binding(4) var<uniform> fusedSizes: FusedSizes;
@group(1) @binding(0) var<uniform> fusedDispatch: FusedDispatch;

var<workgroup> fusedParams: array<f32, PARAM_WORDS>;
var<workgroup> fusedGrads: array<f32, PARAM_WORDS>;
var<workgroup> fusedState: array<f32, STATE_WORDS>;
var<workgroup> fusedScratch: array<f32, SLOT_WORDS * FUSED_WORKGROUP>;
// Per tile lane: the sample's loss and whether it was classified right (the workgroup variant).
var<workgroup> fusedLoss: array<f32, FUSED_WORKGROUP>;
var<workgroup> fusedCorrect: array<u32, FUSED_WORKGROUP>;

/** Scratch index of slot j of lane t. */
fn slotAt(j: u32, t: u32) -> u32 {
  return j * FUSED_WORKGROUP + t;
}

/** Sample of position `position` in epoch `epoch`'s order: shuffled for mini-batches, else itself. */
fn trainSample(position: u32, epoch: u32) -> u32 {
  let sizes = fusedSizes;
  if (sizes.batchSize < sizes.trainSize) {
    return shuffledIndex(position, sizes.trainSize, sizes.seed, epoch);
  }
  return position;
}

/** Samples in batch k of an epoch. */
fn batchCount(k: u32) -> u32 {
  return min(fusedSizes.batchSize, fusedSizes.trainSize - k * fusedSizes.batchSize);
}

/** Copies sample s of the set whose x starts at word xAt into lane t's input slots. */
fn loadSample(t: u32, xAt: u32, s: u32) {
  let inputs = fusedSizes.layers[0].inSize;
  for (var k = 0u; k < inputs; k++) {
    fusedScratch[slotAt(k, t)] = bitcast<f32>(fusedData[xAt + s * inputs + k]);
  }
}

/** Lane t's forward: z and a of every hidden layer, the logits in the last layer's z. (matmulBiasActForwardNaive) */
fn forwardSample(t: u32) {
  let count = fusedSizes.layerCount;
  for (var l = 0u; l < count; l++) {
    let layer = fusedSizes.layers[l];
    let hidden = l + 1u < count;
    for (var o = 0u; o < layer.outSize; o++) {
      let wRow = layer.wOffset + o * layer.inSize;
      var sum = 0.0;
      for (var k = 0u; k < layer.inSize; k++) {
        sum += fusedScratch[slotAt(layer.inSlot + k, t)] * fusedParams[wRow + k];
      }
      let z = sum + fusedParams[layer.bOffset + o];
      fusedScratch[slotAt(layer.zSlot + o, t)] = z;
      if (hidden) {
        fusedScratch[slotAt(layer.aSlot + o, t)] = activate(z);
      }
    }
  }
}

/** Loss and right-or-wrong of lane t's logits against `label`. (softmaxCrossEntropy) */
struct SampleLoss {
  loss: f32,
  correct: u32,
}

/**
 * Cross-entropy of lane t's logits; with a nonzero scale, the logits are replaced by their gradient
 * dZ = (softmax - onehot) * scale. Formulas as in softmaxCrossEntropy.wgsl.
 */
fn lossSample(t: u32, label: u32, scale: f32) -> SampleLoss {
  let zSlot = fusedSizes.layers[fusedSizes.layerCount - 1u].zSlot;
  let classes = fusedSizes.classes;
  var best = 0u;
  var maxLogit = fusedScratch[slotAt(zSlot, t)];
  for (var c = 1u; c < classes; c++) {
    let z = fusedScratch[slotAt(zSlot + c, t)];
    if (z > maxLogit) {
      maxLogit = z;
      best = c;
    }
  }
  var sumExp = 0.0;
  for (var c = 0u; c < classes; c++) {
    sumExp += exp(fusedScratch[slotAt(zSlot + c, t)] - maxLogit);
  }
  let loss = log(sumExp) - (fusedScratch[slotAt(zSlot + label, t)] - maxLogit);
  if (scale != 0.0) {
    for (var c = 0u; c < classes; c++) {
      let at = slotAt(zSlot + c, t);
      let p = exp(fusedScratch[at] - maxLogit) / sumExp;
      fusedScratch[at] = (p - select(0.0, 1.0, c == label)) * scale;
    }
  }
  return SampleLoss(loss, select(0u, 1u, best == label));
}

/** Lane t's backward below the last layer: dZ(l-1) = (dZ(l) W(l)) * act'(z(l-1)), in place of z(l-1). */
fn backwardSample(t: u32) {
  for (var l = fusedSizes.layerCount - 1u; l > 0u; l--) {
    let layer = fusedSizes.layers[l];
    let below = fusedSizes.layers[l - 1u];
    for (var i = 0u; i < layer.inSize; i++) {
      var sum = 0.0;
      for (var o = 0u; o < layer.outSize; o++) {
        sum += fusedScratch[slotAt(layer.zSlot + o, t)] * fusedParams[layer.wOffset + o * layer.inSize + i];
      }
      let at = slotAt(below.zSlot + i, t);
      fusedScratch[at] = sum * activateDerivative(fusedScratch[at]);
    }
  }
}

/** Where parameter p's gradient terms come from: dZ slot and input slot (inSlot = NO_INPUT for a bias). */
struct ParamTerm {
  dzSlot: u32,
  inSlot: u32,
}

const NO_INPUT: u32 = 0xffffffffu;

/** The slots whose product (or dZ alone, for a bias) is one sample's term of gradient p. */
fn paramTerm(p: u32) -> ParamTerm {
  let count = fusedSizes.layerCount;
  for (var l = 0u; l < count; l++) {
    let layer = fusedSizes.layers[l];
    if (p >= layer.wOffset && p < layer.wOffset + layer.outSize * layer.inSize) {
      let j = p - layer.wOffset;
      return ParamTerm(layer.zSlot + j / layer.inSize, layer.inSlot + j % layer.inSize);
    }
    if (p >= layer.bOffset && p < layer.bOffset + layer.outSize) {
      return ParamTerm(layer.zSlot + p - layer.bOffset, NO_INPUT);
    }
  }
  return ParamTerm(0u, NO_INPUT);
}

/** One sample's term of a gradient: dZ * input (matmulGradWeightsNaive multiplies a bias's by 1.0). */
fn gradientTerm(term: ParamTerm, t: u32) -> f32 {
  let dz = fusedScratch[slotAt(term.dzSlot, t)];
  if (term.inSlot == NO_INPUT) {
    return dz;
  }
  return dz * fusedScratch[slotAt(term.inSlot, t)];
}

/** Adds lane t's terms to every gradient (fusedTrainSerial: one sample at a time, in order). */
fn accumulateAll(t: u32) {
  let count = fusedSizes.layerCount;
  for (var l = 0u; l < count; l++) {
    let layer = fusedSizes.layers[l];
    for (var o = 0u; o < layer.outSize; o++) {
      let dz = fusedScratch[slotAt(layer.zSlot + o, t)];
      let wRow = layer.wOffset + o * layer.inSize;
      for (var i = 0u; i < layer.inSize; i++) {
        fusedGrads[wRow + i] += dz * fusedScratch[slotAt(layer.inSlot + i, t)];
      }
      fusedGrads[layer.bOffset + o] += dz;
    }
  }
}

/** The optimizer step of parameter p with gradient g at table entry `stepEntry`. (optimizer.wgsl) */
fn updateParam(p: u32, g: f32, stepEntry: u32) {
  let sizes = fusedSizes;
  let wd = select(0.0, sizes.weightDecay, p < sizes.weightCount);
  let w = fusedParams[p];
  switch OPTIMIZER {
    case OPT_MOMENTUM: {
      let v = sizes.momentum * fusedState[p] + (g + wd * w);
      fusedState[p] = v;
      fusedParams[p] = w - sizes.lr * v;
    }
    case OPT_ADAM: {
      let correction = fusedCorrections[stepEntry];
      let grad = g + wd * w;
      let m = sizes.beta1 * fusedState[p] + sizes.oneMinusBeta1 * grad;
      let v = sizes.beta2 * fusedState[sizes.paramCount + p] + sizes.oneMinusBeta2 * grad * grad;
      fusedState[p] = m;
      fusedState[sizes.paramCount + p] = v;
      fusedParams[p] = w - (sizes.lr * (m / correction.x)) / (sqrt(v / correction.y) + sizes.epsilon);
    }
    default: {
      fusedParams[p] = w - sizes.lr * (g + wd * w);
    }
  }
}

/** Words of optimizer state in use. */
fn stateWords() -> u32 {
  switch OPTIMIZER {
    case OPT_MOMENTUM: {
      return fusedSizes.paramCount;
    }
    case OPT_ADAM: {
      return 2u * fusedSizes.paramCount;
    }
    default: {
      return 0u;
    }
  }
}

/** Invocation t of `lanes` loads its share of the parameters and optimizer state (p % lanes == t). */
fn loadModel(t: u32, lanes: u32) {
  let count = fusedSizes.paramCount;
  for (var p = t; p < count; p += lanes) {
    fusedParams[p] = fusedModel[p];
  }
  let words = stateWords();
  for (var j = t; j < words; j += lanes) {
    fusedState[j] = fusedModel[2u * count + j];
  }
}

/** Invocation t of `lanes` stores its share of the parameters and optimizer state back. */
fn storeModel(t: u32, lanes: u32) {
  let count = fusedSizes.paramCount;
  for (var p = t; p < count; p += lanes) {
    fusedModel[p] = fusedParams[p];
  }
  let words = stateWords();
  for (var j = t; j < words; j += lanes) {
    fusedModel[2u * count + j] = fusedState[j];
  }
}

// ---- fusedTrainSerial: one invocation, no barriers ----

/** Loss sums of a pass over samples, in blocks of FUSED_LOSS_BLOCK. */
struct LossTotals {
  lossSum: f32,
  correct: u32,
}

/** The test set's loss and right predictions at the current parameters (lane 0, serially). */
fn testSerial() -> LossTotals {
  let sizes = fusedSizes;
  var total = 0.0;
  var block = 0.0;
  var correct = 0u;
  for (var s = 0u; s < sizes.testSize; s++) {
    loadSample(0u, sizes.testX, s);
    forwardSample(0u);
    let r = lossSample(0u, fusedData[sizes.testY + s], 0.0);
    block += r.loss;
    correct += r.correct;
    if ((s + 1u) % FUSED_LOSS_BLOCK == 0u || s + 1u == sizes.testSize) {
      total += block;
      block = 0.0;
    }
  }
  return LossTotals(total, correct);
}

/** Batch k of epoch `epoch`: gradients summed sample by sample into fusedGrads; returns the loss sums. */
fn batchSerial(k: u32, epoch: u32) -> LossTotals {
  let sizes = fusedSizes;
  let n = batchCount(k);
  let scale = 1.0 / f32(n);
  for (var p = 0u; p < sizes.paramCount; p++) {
    fusedGrads[p] = 0.0;
  }
  var total = 0.0;
  var block = 0.0;
  var correct = 0u;
  for (var j = 0u; j < n; j++) {
    let s = trainSample(k * sizes.batchSize + j, epoch);
    loadSample(0u, sizes.trainX, s);
    forwardSample(0u);
    let r = lossSample(0u, fusedData[sizes.trainY + s], scale);
    backwardSample(0u);
    accumulateAll(0u);
    block += r.loss;
    correct += r.correct;
    if ((j + 1u) % FUSED_LOSS_BLOCK == 0u || j + 1u == n) {
      total += block;
      block = 0.0;
    }
  }
  return LossTotals(total, correct);
}

@compute @workgroup_size(1)
fn fusedTrainSerial() {
  let sizes = fusedSizes;
  let job = fusedDispatch;
  loadModel(0u, 1u);
  if (job.gradientsOnly != 0u) {
    _ = batchSerial(0u, job.firstEpoch);
    for (var p = 0u; p < sizes.paramCount; p++) {
      fusedModel[sizes.paramCount + p] = fusedGrads[p];
    }
    return;
  }
  for (var e = 0u; e < job.epochs; e++) {
    let epoch = job.firstEpoch + e;
    var trainLoss = 0.0;
    var trainCorrect = 0u;
    for (var k = 0u; k < sizes.steps; k++) {
      let r = batchSerial(k, epoch);
      trainLoss += r.lossSum;
      trainCorrect += r.correct;
      let stepEntry = job.stepBase + e * sizes.steps + k;
      for (var p = 0u; p < sizes.paramCount; p++) {
        updateParam(p, fusedGrads[p], stepEntry);
      }
    }
    let test = testSerial();
    fusedHistory[job.historySlot + e] = FusedEpochStats(trainLoss, trainCorrect, test.lossSum, test.correct);
  }
  storeModel(0u, 1u);
}

// ---- fusedTrainWorkgroup: FUSED_WORKGROUP invocations, samples across them, owners sum the gradients ----

/**
 * The test set in tiles of FUSED_WORKGROUP samples: lane t forwards sample tile + t; lane 0 sums the
 * tile's losses in order. Every invocation calls it (it holds barriers); the totals are lane 0's.
 */
fn testWorkgroup(t: u32) -> LossTotals {
  let sizes = fusedSizes;
  var total = 0.0;
  var correct = 0u;
  for (var first = 0u; first < sizes.testSize; first += FUSED_WORKGROUP) {
    let count = min(FUSED_WORKGROUP, sizes.testSize - first);
    if (t < count) {
      let s = first + t;
      loadSample(t, sizes.testX, s);
      forwardSample(t);
      let r = lossSample(t, fusedData[sizes.testY + s], 0.0);
      fusedLoss[t] = r.loss;
      fusedCorrect[t] = r.correct;
    }
    workgroupBarrier();
    if (t == 0u) {
      var block = 0.0;
      for (var j = 0u; j < count; j++) {
        block += fusedLoss[j];
        correct += fusedCorrect[j];
      }
      total += block;
    }
    workgroupBarrier();
  }
  return LossTotals(total, correct);
}

/**
 * Batch k of epoch `epoch` in tiles: lane t forwards and backpropagates sample tile + t into its scratch,
 * then owns gradients p = t, t + FUSED_WORKGROUP, ... and adds the tile's terms to them in sample order.
 * Returns lane 0's loss sums (a partial sum per tile).
 */
fn batchWorkgroup(t: u32, k: u32, epoch: u32) -> LossTotals {
  let sizes = fusedSizes;
  let n = batchCount(k);
  let scale = 1.0 / f32(n);
  for (var p = t; p < sizes.paramCount; p += FUSED_WORKGROUP) {
    fusedGrads[p] = 0.0;
  }
  var total = 0.0;
  var correct = 0u;
  for (var first = 0u; first < n; first += FUSED_WORKGROUP) {
    let count = min(FUSED_WORKGROUP, n - first);
    if (t < count) {
      let s = trainSample(k * sizes.batchSize + first + t, epoch);
      loadSample(t, sizes.trainX, s);
      forwardSample(t);
      let r = lossSample(t, fusedData[sizes.trainY + s], scale);
      backwardSample(t);
      fusedLoss[t] = r.loss;
      fusedCorrect[t] = r.correct;
    }
    workgroupBarrier();
    for (var p = t; p < sizes.paramCount; p += FUSED_WORKGROUP) {
      let term = paramTerm(p);
      var g = fusedGrads[p];
      for (var j = 0u; j < count; j++) {
        g += gradientTerm(term, j);
      }
      fusedGrads[p] = g;
    }
    if (t == 0u) {
      var block = 0.0;
      for (var j = 0u; j < count; j++) {
        block += fusedLoss[j];
        correct += fusedCorrect[j];
      }
      total += block;
    }
    workgroupBarrier();
  }
  return LossTotals(total, correct);
}

@compute @workgroup_size(FUSED_WORKGROUP)
fn fusedTrainWorkgroup(@builtin(local_invocation_index) t: u32) {
  let sizes = fusedSizes;
  let job = fusedDispatch;
  loadModel(t, FUSED_WORKGROUP);
  workgroupBarrier();
  if (job.gradientsOnly != 0u) {
    _ = batchWorkgroup(t, 0u, job.firstEpoch);
    for (var p = t; p < sizes.paramCount; p += FUSED_WORKGROUP) {
      fusedModel[sizes.paramCount + p] = fusedGrads[p];
    }
    return;
  }
  for (var e = 0u; e < job.epochs; e++) {
    let epoch = job.firstEpoch + e;
    var trainLoss = 0.0;
    var trainCorrect = 0u;
    for (var k = 0u; k < sizes.steps; k++) {
      let r = batchWorkgroup(t, k, epoch);
      trainLoss += r.lossSum;
      trainCorrect += r.correct;
      let stepEntry = job.stepBase + e * sizes.steps + k;
      for (var p = t; p < sizes.paramCount; p += FUSED_WORKGROUP) {
        updateParam(p, fusedGrads[p], stepEntry);
      }
      workgroupBarrier();
    }
    let test = testWorkgroup(t);
    if (t == 0u) {
      fusedHistory[job.historySlot + e] = FusedEpochStats(trainLoss, trainCorrect, test.lossSum, test.correct);
    }
  }
  storeModel(t, FUSED_WORKGROUP);
}
