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
// the sgd/momentum/adam steps of optimizer.wgsl. Only the loss sums differ from the general path's
// (see FUSED_LOSS_BLOCK). The host puts step.wgsl, shuffle.wgsl (shuffledIndex), activation.wgsl
// (activate, activateDerivative, ACTIVATION) and optimizer.wgsl (OptimizerSizes, the steps, OPTIMIZER)
// in front of this file.
//
// Versions, one line each (src/gpu/kernels.ts FUSED_VARIANT_NAMES; chooseFusedVariant picks the one
// training uses):
//   fusedTrainSerial     one invocation does everything, sample after sample: no barrier at all. (serial)
//   fusedTrainWorkgroup  FUSED_WORKGROUP invocations, one sample each per tile of the batch; then each
//                        invocation adds the tile's terms to the gradients it owns (p % FUSED_WORKGROUP),
//                        in sample order; two barriers per tile, one per update. (workgroup)
//   fusedTrainSubgroup   in fusedSubgroup.wgsl: one subgroup, one sample per invocation, a copy of the
//                        model per invocation; gradients summed across the tile by subgroupAdd; no
//                        barrier. (subgroup)
// serial and workgroup sum every gradient over the batch's samples in increasing order, as the twin and
// the general path's naive kernels do.
//
// Per-sample scratch ("slots"): the sample's x (inputs), then per layer l its z slot (out: act'(z) below
// the last layer, the logits then e^(z - max) in the last; dZ after the backward pass) and, below the last
// layer, its a (out). Slot j of tile lane t is
// fusedScratch[j * FUSED_WORKGROUP + t]. FusedLayer.inSlot is where layer l's input starts (x or the a of
// layer l - 1), zSlot where its z starts.
//
// Runs side by side (sweeps): workgroup r trains run r of fusedRuns, on the same data and with the same
// shape, from its own parameters, with its own optimizer settings and shuffle seed, into its own model,
// history and Adam table (FusedRun's bases). Nothing is shared between workgroups but the read-only data,
// so a run computes exactly what it computes alone (a single run is run 0 of one), and a run whose loss
// turns NaN cannot reach the others.
//
// Parameters are packed as in the general path (every layer's weights, then every layer's biases). A
// run's model (at modelBase) holds [params (P) | gradients (P) | state (stateWords)]: momentum's velocity, or Adam's
// first moments then second moments. Workgroup memory holds the same (MODEL_COPIES times) from the
// dispatch's start to its end.
//
// Limits (src/gpu/plan.ts planFused): every array below must fit maxComputeWorkgroupStorageSize; on
// Mesa's llvmpipe an invocation runs at most 65535 loop iterations per dispatch (GALLIVM_LOOP_LIMIT), so
// there a dispatch takes only as many epochs as fusedLoopIterations allows.

// Most layers a fused model has (sizes of FusedSizes.layers).
const MAX_FUSED_LAYERS: u32 = 8u;
// Samples per float32 partial sum of the loss in fusedTrainSerial; the workgroup variants use a tile.
const FUSED_LOSS_BLOCK: u32 = 64u;

// Invocations of the workgroup variants, and lanes of the scratch (1 for fusedTrainSerial).
override FUSED_WORKGROUP: u32 = 64u;
// Copies of the parameters, gradients and optimizer state in workgroup memory: 1, shared by every
// invocation; or one per invocation (the subgroup version), interleaved: parameter p of lane t at
// p * MODEL_COPIES + t (modelAt).
override MODEL_COPIES: u32 = 1u;
// Words of the parameters (P x MODEL_COPIES) and of optimizer state (P or 2P for momentum or Adam, times
// MODEL_COPIES, at least 1).
override PARAM_WORDS: u32 = 1u;
override STATE_WORDS: u32 = 1u;
// Scratch words per sample (src/gpu/plan.ts fusedLayers).
override SLOT_WORDS: u32 = 1u;

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
  stateWords: u32,    // words of optimizer state in use (0, P or 2P)
  classes: u32,       // outputs of the last layer
  trainX: u32,        // word offsets into fusedData: train x (trainSize, inputs), train y (trainSize),
  trainY: u32,        //   test x (testSize, inputs), test y (testSize)
  testX: u32,
  testY: u32,
  @align(16) layers: array<FusedLayer, MAX_FUSED_LAYERS>, // explicit alignment: the host writes 16-byte boundaries
}

// Most runs one dispatch trains side by side (the length of fusedRuns: 64 bytes each, 16 KiB in all,
// compatibility mode's maxUniformBufferBindingSize).
const MAX_FUSED_RUNS: u32 = 256u;

/**
 * One run of the dispatch (workgroup r trains run r): what may differ between runs of one shape (a sweep's
 * learning rates, seeds, ...) and where its model, history and Adam table sit. A single training run is
 * the one-run case: everything at 0.
 */
struct FusedRun {
  // Hyperparameters (count = P, weightCount; chunk unused): 44 bytes, sized to 48 explicitly, so that the
  // fields below sit where the host writes them under both the classic and the relaxed uniform layout.
  @align(16) @size(48) optimizer: OptimizerSizes,
  seed: u32,                 // shuffle seed
  modelBase: u32,            // first word of the run's model in fusedModel
  historyBase: u32,          // first record of the run's history in fusedHistory
  correctionBase: u32,       // first entry of the run's Adam table in fusedCorrections
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

@group(0) @binding(0) var<storage, read_write> fusedModel: array<f32>;              // per run: params (P), grads (P), state
@group(0) @binding(1) var<storage, read_write> fusedHistory: array<FusedEpochStats>; // per run: (history capacity)
@group(0) @binding(2) var<storage, read> fusedData: array<u32>;                     // x as f32 bits, y (shared by the runs)
@group(0) @binding(3) var<storage, read> fusedCorrections: array<vec2<f32>>;         // per run: Adam (1-b1^t, 1-b2^t) per step
@group(0) @binding(4) var<uniform> fusedSizes: FusedSizes;
@group(0) @binding(5) var<uniform> fusedRuns: array<FusedRun, MAX_FUSED_RUNS>;
@group(1) @binding(0) var<uniform> fusedDispatch: FusedDispatch;

// This workgroup's run (fusedRuns[workgroup_id.x]), set by the entry point before anything else. Only
// data depend on it, never control flow, so every loop bound stays uniform.
var<private> run: FusedRun;

var<workgroup> fusedParams: array<f32, PARAM_WORDS>;
var<workgroup> fusedGrads: array<f32, PARAM_WORDS>;
var<workgroup> fusedState: array<f32, STATE_WORDS>;
var<workgroup> fusedScratch: array<f32, SLOT_WORDS * FUSED_WORKGROUP>;
// Per tile lane: the sample's loss and whether it was classified right (the workgroup variant).
var<workgroup> fusedLoss: array<f32, FUSED_WORKGROUP>;
var<workgroup> fusedCorrect: array<u32, FUSED_WORKGROUP>;

/** Workgroup-memory index of parameter (gradient, state word) p as lane t sees it. */
fn modelAt(p: u32, t: u32) -> u32 {
  if (MODEL_COPIES == 1u) {
    return p;
  }
  return p * MODEL_COPIES + t;
}

/** Scratch index of slot j of lane t. */
fn slotAt(j: u32, t: u32) -> u32 {
  return j * FUSED_WORKGROUP + t;
}

/** Sample of position `position` in epoch `epoch`'s order: shuffled for mini-batches, else itself. */
fn trainSample(position: u32, epoch: u32) -> u32 {
  if (fusedSizes.batchSize < fusedSizes.trainSize) {
    return shuffledIndex(position, fusedSizes.trainSize, run.seed, epoch);
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

/**
 * Lane t's forward: a and act'(z) of every hidden layer (act' in the z slot), the logits in the last
 * layer's z. (matmulBiasActForwardNaive, then activationForward and activationBackward's act')
 * Indices advance by their strides (FUSED_WORKGROUP in the scratch, MODEL_COPIES in the model) rather
 * than being recomputed: CPU-emulated adapters execute every index operation as written.
 */
fn forwardSample(t: u32) {
  let count = fusedSizes.layerCount;
  for (var l = 0u; l < count; l++) {
    let layer = fusedSizes.layers[l];
    let hidden = l + 1u < count;
    var w = modelAt(layer.wOffset, t);
    for (var o = 0u; o < layer.outSize; o++) {
      var x = slotAt(layer.inSlot, t);
      var sum = 0.0;
      for (var k = 0u; k < layer.inSize; k++) {
        sum += fusedScratch[x] * fusedParams[w];
        x += FUSED_WORKGROUP;
        w += MODEL_COPIES;
      }
      let z = sum + fusedParams[modelAt(layer.bOffset + o, t)];
      if (hidden) {
        // The z slot keeps act'(z), all the backward pass needs of z.
        let both = activateWithDerivative(z);
        fusedScratch[slotAt(layer.aSlot + o, t)] = both.x;
        fusedScratch[slotAt(layer.zSlot + o, t)] = both.y;
      } else {
        fusedScratch[slotAt(layer.zSlot + o, t)] = z;
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
  let loss0 = fusedScratch[slotAt(zSlot + label, t)] - maxLogit;
  // e^(z - max) replaces each logit until the sum is known (the value softmaxCrossEntropy recomputes).
  var sumExp = 0.0;
  for (var c = 0u; c < classes; c++) {
    let at = slotAt(zSlot + c, t);
    let e = exp(fusedScratch[at] - maxLogit);
    fusedScratch[at] = e;
    sumExp += e;
  }
  let loss = log(sumExp) - loss0;
  if (scale != 0.0) {
    for (var c = 0u; c < classes; c++) {
      let at = slotAt(zSlot + c, t);
      fusedScratch[at] = (fusedScratch[at] / sumExp - select(0.0, 1.0, c == label)) * scale;
    }
  }
  return SampleLoss(loss, select(0u, 1u, best == label));
}

/** Lane t's backward below the last layer: dZ(l-1) = (dZ(l) W(l)) * act'(z(l-1)), in place of act'(z(l-1)). */
fn backwardSample(t: u32) {
  for (var l = fusedSizes.layerCount - 1u; l > 0u; l--) {
    let layer = fusedSizes.layers[l];
    let below = fusedSizes.layers[l - 1u];
    let wStride = layer.inSize * MODEL_COPIES;
    for (var i = 0u; i < layer.inSize; i++) {
      var dz = slotAt(layer.zSlot, t);
      var w = modelAt(layer.wOffset + i, t);
      var sum = 0.0;
      for (var o = 0u; o < layer.outSize; o++) {
        sum += fusedScratch[dz] * fusedParams[w];
        dz += FUSED_WORKGROUP;
        w += wStride;
      }
      let at = slotAt(below.zSlot + i, t);
      fusedScratch[at] = sum * fusedScratch[at];
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
    var g = modelAt(layer.wOffset, t);
    for (var o = 0u; o < layer.outSize; o++) {
      let dz = fusedScratch[slotAt(layer.zSlot + o, t)];
      var x = slotAt(layer.inSlot, t);
      for (var i = 0u; i < layer.inSize; i++) {
        fusedGrads[g] += dz * fusedScratch[x];
        g += MODEL_COPIES;
        x += FUSED_WORKGROUP;
      }
      fusedGrads[modelAt(layer.bOffset + o, t)] += dz;
    }
  }
}

/** Lane t's optimizer step of parameter p with gradient g at table entry `stepEntry` (optimizer.wgsl). */
fn updateParam(p: u32, t: u32, g: f32, stepEntry: u32) {
  let o = run.optimizer;
  let wd = decayOf(p, o);
  let at = modelAt(p, t);
  let w = fusedParams[at];
  switch OPTIMIZER {
    case OPT_MOMENTUM: {
      let r = momentumStep(w, fusedState[at], g, wd, o);
      fusedParams[at] = r.x;
      fusedState[at] = r.y;
    }
    case OPT_ADAM: {
      let second = modelAt(o.count + p, t);
      let r = adamStep(w, fusedState[at], fusedState[second], g, wd, o, fusedCorrections[run.correctionBase + stepEntry]);
      fusedParams[at] = r.x;
      fusedState[at] = r.y;
      fusedState[second] = r.z;
    }
    default: {
      fusedParams[at] = sgdStep(w, g, wd, o);
    }
  }
}

/** Lane t loads parameters and state words first, first + stride, ... into its view of the model. */
fn loadModel(t: u32, first: u32, stride: u32) {
  let count = fusedSizes.paramCount;
  for (var p = first; p < count; p += stride) {
    fusedParams[modelAt(p, t)] = fusedModel[run.modelBase + p];
  }
  for (var j = first; j < fusedSizes.stateWords; j += stride) {
    fusedState[modelAt(j, t)] = fusedModel[run.modelBase + 2u * count + j];
  }
}

/** Lane t stores parameters and state words first, first + stride, ... of its view of the model. */
fn storeModel(t: u32, first: u32, stride: u32) {
  let count = fusedSizes.paramCount;
  for (var p = first; p < count; p += stride) {
    fusedModel[run.modelBase + p] = fusedParams[modelAt(p, t)];
  }
  for (var j = first; j < fusedSizes.stateWords; j += stride) {
    fusedModel[run.modelBase + 2u * count + j] = fusedState[modelAt(j, t)];
  }
}

// ---- The epoch loop, shared by the versions ----
//
// An epoch is `passes` passes over samples: the train batches k = 0 .. steps - 1 (forward, loss, backward,
// gradient sums, then the update), then the test set (forward and loss). Each version has exactly one call
// of processSample, so that the per-sample code is compiled once (SwiftShader compiles every call site).
// A gradientsOnly dispatch runs pass 0 of one epoch and stores the gradients instead of updating.

/** Passes of one epoch: the batches, then the test set when there is one (gradientsOnly: the first batch). */
fn passCount() -> u32 {
  if (fusedDispatch.gradientsOnly != 0u) {
    return 1u;
  }
  return fusedSizes.steps + select(0u, 1u, fusedSizes.testSize > 0u);
}

/** Samples of pass k. */
fn passSize(k: u32) -> u32 {
  if (k < fusedSizes.steps) {
    return batchCount(k);
  }
  return fusedSizes.testSize;
}

/**
 * Sample j of pass k of epoch `epoch` into lane t: train batches take position k * batchSize + j of the
 * epoch's order, with the gradient of the mean loss (scale 1 / n) backpropagated; the test pass sample j,
 * forward and loss only.
 */
fn processSample(t: u32, k: u32, j: u32, n: u32, epoch: u32) -> SampleLoss {
  let training = k < fusedSizes.steps;
  var s = j;
  var xAt = fusedSizes.testX;
  var yAt = fusedSizes.testY;
  var scale = 0.0;
  if (training) {
    s = trainSample(k * fusedSizes.batchSize + j, epoch);
    xAt = fusedSizes.trainX;
    yAt = fusedSizes.trainY;
    scale = 1.0 / f32(n);
  }
  loadSample(t, xAt, s);
  forwardSample(t);
  let r = lossSample(t, fusedData[yAt + s], scale);
  if (training) {
    backwardSample(t);
  }
  return r;
}

/** Running loss sums of an epoch: train and test. */
struct EpochTotals {
  trainLoss: f32,
  trainCorrect: u32,
  testLoss: f32,
  testCorrect: u32,
}

/** Adds a block's sums to the train or the test totals. */
fn addBlock(totals: ptr<function, EpochTotals>, training: bool, loss: f32, correct: u32) {
  if (training) {
    (*totals).trainLoss += loss;
    (*totals).trainCorrect += correct;
  } else {
    (*totals).testLoss += loss;
    (*totals).testCorrect += correct;
  }
}

/**
 * Writes the epoch's record (lane 0), or after a gradientsOnly pass lane t's gradients first, first +
 * stride, ...
 */
fn finishEpoch(t: u32, first: u32, stride: u32, e: u32, totals: EpochTotals) {
  let job = fusedDispatch;
  if (job.gradientsOnly != 0u) {
    for (var p = first; p < fusedSizes.paramCount; p += stride) {
      fusedModel[run.modelBase + fusedSizes.paramCount + p] = fusedGrads[modelAt(p, t)];
    }
  } else if (t == 0u) {
    fusedHistory[run.historyBase + job.historySlot + e] = FusedEpochStats(totals.trainLoss, totals.trainCorrect, totals.testLoss, totals.testCorrect);
  }
}

/** Epochs this dispatch runs. */
fn epochCount() -> u32 {
  return select(fusedDispatch.epochs, 1u, fusedDispatch.gradientsOnly != 0u);
}

// ---- fusedTrainSerial: one invocation, no barriers ----

@compute @workgroup_size(1)
fn fusedTrainSerial(@builtin(workgroup_id) group: vec3<u32>) {
  run = fusedRuns[group.x];
  let job = fusedDispatch;
  let count = fusedSizes.paramCount;
  loadModel(0u, 0u, 1u);
  for (var e = 0u; e < epochCount(); e++) {
    let epoch = job.firstEpoch + e;
    var totals = EpochTotals(0.0, 0u, 0.0, 0u);
    for (var k = 0u; k < passCount(); k++) {
      let training = k < fusedSizes.steps;
      let n = passSize(k);
      if (training) {
        for (var p = 0u; p < count; p++) {
          fusedGrads[p] = 0.0;
        }
      }
      // Losses summed in blocks of FUSED_LOSS_BLOCK samples, then block by block.
      var block = 0.0;
      var correct = 0u;
      for (var j = 0u; j < n; j++) {
        let r = processSample(0u, k, j, n, epoch);
        if (training) {
          accumulateAll(0u);
        }
        block += r.loss;
        correct += r.correct;
        if ((j + 1u) % FUSED_LOSS_BLOCK == 0u || j + 1u == n) {
          addBlock(&totals, training, block, 0u);
          block = 0.0;
        }
      }
      addBlock(&totals, training, 0.0, correct);
      if (training && job.gradientsOnly == 0u) {
        let stepEntry = job.stepBase + e * fusedSizes.steps + k;
        for (var p = 0u; p < count; p++) {
          updateParam(p, 0u, fusedGrads[p], stepEntry);
        }
      }
    }
    finishEpoch(0u, 0u, 1u, e, totals);
  }
  if (job.gradientsOnly == 0u) {
    storeModel(0u, 0u, 1u);
  }
}

// ---- fusedTrainWorkgroup: FUSED_WORKGROUP invocations, samples across them, owners sum the gradients ----

// Each pass in tiles of FUSED_WORKGROUP samples: lane t processes sample tile + t into its scratch;
// barrier; each lane adds the tile's terms to the gradients it owns (p = t, t + FUSED_WORKGROUP, ...) in
// sample order, and lane 0 sums the tile's losses; barrier. After a batch, the owners update; barrier.
@compute @workgroup_size(FUSED_WORKGROUP)
fn fusedTrainWorkgroup(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) group: vec3<u32>) {
  run = fusedRuns[group.x];
  let job = fusedDispatch;
  let count = fusedSizes.paramCount;
  loadModel(t, t, FUSED_WORKGROUP);
  workgroupBarrier();
  for (var e = 0u; e < epochCount(); e++) {
    let epoch = job.firstEpoch + e;
    var totals = EpochTotals(0.0, 0u, 0.0, 0u);
    for (var k = 0u; k < passCount(); k++) {
      let training = k < fusedSizes.steps;
      let n = passSize(k);
      if (training) {
        for (var p = t; p < count; p += FUSED_WORKGROUP) {
          fusedGrads[p] = 0.0;
        }
      }
      for (var first = 0u; first < n; first += FUSED_WORKGROUP) {
        let tile = min(FUSED_WORKGROUP, n - first);
        if (t < tile) {
          let r = processSample(t, k, first + t, n, epoch);
          fusedLoss[t] = r.loss;
          fusedCorrect[t] = r.correct;
        }
        workgroupBarrier();
        if (training) {
          for (var p = t; p < count; p += FUSED_WORKGROUP) {
            let term = paramTerm(p);
            var g = fusedGrads[p];
            for (var j = 0u; j < tile; j++) {
              g += gradientTerm(term, j);
            }
            fusedGrads[p] = g;
          }
        }
        if (t == 0u) {
          var block = 0.0;
          var correct = 0u;
          for (var j = 0u; j < tile; j++) {
            block += fusedLoss[j];
            correct += fusedCorrect[j];
          }
          addBlock(&totals, training, block, correct);
        }
        workgroupBarrier();
      }
      if (training && job.gradientsOnly == 0u) {
        let stepEntry = job.stepBase + e * fusedSizes.steps + k;
        for (var p = t; p < count; p += FUSED_WORKGROUP) {
          updateParam(p, t, fusedGrads[p], stepEntry);
        }
        workgroupBarrier();
      }
    }
    finishEpoch(t, t, FUSED_WORKGROUP, e, totals);
  }
  if (job.gradientsOnly == 0u) {
    storeModel(t, t, FUSED_WORKGROUP);
  }
}
