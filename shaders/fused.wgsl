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
// the sgd/momentum/adam steps of optimizer.wgsl, per sample. What differs is the order of the sums over
// samples (a lane's four samples by dot, then lanes in order or by subgroupAdd; the loss sums likewise):
// float32 rounding, within the tests' tolerances of the twin. The host puts step.wgsl, shuffle.wgsl (shuffledIndex), activation.wgsl
// (activate, activateDerivative, ACTIVATION) and optimizer.wgsl (OptimizerSizes, the steps, OPTIMIZER)
// in front of this file.
//
// Versions, one line each (src/gpu/kernels.ts FUSED_VARIANT_NAMES; chooseFusedVariant picks the one
// training uses):
// Every version carries four samples per invocation ("lane"), as the components of vec4s (LANE_SAMPLES):
//   fusedTrainSerial     one invocation does everything, four samples at a time: no barrier at all. (serial)
//   fusedTrainWorkgroup  FUSED_WORKGROUP invocations, four samples each per tile of the batch; then each
//                        invocation adds the tile's terms to the gradients it owns (p % FUSED_WORKGROUP),
//                        lane by lane; two barriers per tile, one per update. (workgroup)
//   fusedTrainSubgroup   in fusedSubgroup.wgsl: one subgroup, a copy of the model per invocation; each lane
//                        sums its own samples' terms, subgroupAdd across lanes once per batch; no
//                        barrier. (subgroup)
//
// Per-lane scratch ("slots", vec4s: one component per sample): x (inputs), then per layer l its z slot
// (out: act'(z) below the last layer, the logits then e^(z - max) in the last; dZ after the backward pass)
// and, below the last layer, its a (out). Slot j of lane t is fusedScratch4[j * FUSED_WORKGROUP + t].
// FusedLayer.inSlot is where layer l's input starts (x or the a of layer l - 1), zSlot where its z starts.
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

// Invocations (lanes) of the workgroup and subgroup versions (1 for fusedTrainSerial).
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
// Per tile lane: its samples' loss and how many were classified right (the workgroup variant).
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

// ---- Four samples per lane, as the components of vec4s (the workgroup and subgroup versions) ----
//
// Lane t carries LANE_SAMPLES samples at once: its scratch slots are vec4s (fusedScratch4), so every
// parameter read serves four samples, which is what CPU-emulated adapters (one memory access per lane per
// read) gain most from, and a GPU gets four independent chains of arithmetic per lane. Components past the
// end of a batch carry x = 0 and a zero loss scale: finite, and adding nothing to any gradient.

const LANE_SAMPLES: u32 = 4u;

/** The sum of a lane's four samples' values, in one fixed order (every version sums them so). */
fn laneSum(v: vec4<f32>) -> f32 {
  return (v.x + v.y) + (v.z + v.w);
}

fn laneCount(v: vec4<u32>) -> u32 {
  return (v.x + v.y) + (v.z + v.w);
}

// Lane t's scratch: slot j of its four samples at fusedScratch4[slotAt(j, t)].
var<workgroup> fusedScratch4: array<vec4<f32>, SLOT_WORDS * FUSED_WORKGROUP>;

/** Lane t's forward of its four samples (forwardSample, per component). */
fn forwardSample4(t: u32) {
  let count = fusedSizes.layerCount;
  for (var l = 0u; l < count; l++) {
    let layer = fusedSizes.layers[l];
    let hidden = l + 1u < count;
    var w = modelAt(layer.wOffset, t);
    for (var o = 0u; o < layer.outSize; o++) {
      var x = slotAt(layer.inSlot, t);
      var sum = vec4<f32>(0.0);
      for (var k = 0u; k < layer.inSize; k++) {
        sum += fusedScratch4[x] * fusedParams[w];
        x += FUSED_WORKGROUP;
        w += MODEL_COPIES;
      }
      let z = sum + fusedParams[modelAt(layer.bOffset + o, t)];
      if (hidden) {
        var a = vec4<f32>(0.0);
        var d = vec4<f32>(0.0);
        for (var c = 0u; c < LANE_SAMPLES; c++) {
          let both = activateWithDerivative(z[c]);
          a[c] = both.x;
          d[c] = both.y;
        }
        fusedScratch4[slotAt(layer.aSlot + o, t)] = a;
        fusedScratch4[slotAt(layer.zSlot + o, t)] = d;
      } else {
        fusedScratch4[slotAt(layer.zSlot + o, t)] = z;
      }
    }
  }
}

struct SampleLoss4 {
  loss: vec4<f32>,
  correct: vec4<u32>,
}

/** lossSample per component; `scale` per component (0 for the test pass and for components past the end). */
fn lossSample4(t: u32, label: vec4<u32>, scale: vec4<f32>, training: bool) -> SampleLoss4 {
  let zSlot = fusedSizes.layers[fusedSizes.layerCount - 1u].zSlot;
  let classes = fusedSizes.classes;
  var best = vec4<u32>(0u);
  var maxLogit = fusedScratch4[slotAt(zSlot, t)];
  var zLabel = select(vec4<f32>(0.0), maxLogit, label == vec4<u32>(0u));
  for (var c = 1u; c < classes; c++) {
    let z = fusedScratch4[slotAt(zSlot + c, t)];
    let bigger = z > maxLogit;
    maxLogit = select(maxLogit, z, bigger);
    best = select(best, vec4<u32>(c), bigger);
    zLabel = select(zLabel, z, label == vec4<u32>(c));
  }
  let loss0 = zLabel - maxLogit;
  var sumExp = vec4<f32>(0.0);
  for (var c = 0u; c < classes; c++) {
    let at = slotAt(zSlot + c, t);
    let e = exp(fusedScratch4[at] - maxLogit);
    fusedScratch4[at] = e;
    sumExp += e;
  }
  let loss = log(sumExp) - loss0;
  if (training) {
    for (var c = 0u; c < classes; c++) {
      let at = slotAt(zSlot + c, t);
      fusedScratch4[at] = (fusedScratch4[at] / sumExp - select(vec4<f32>(0.0), vec4<f32>(1.0), label == vec4<u32>(c))) * scale;
    }
  }
  return SampleLoss4(loss, select(vec4<u32>(0u), vec4<u32>(1u), best == label));
}

/** backwardSample per component. */
fn backwardSample4(t: u32) {
  for (var l = fusedSizes.layerCount - 1u; l > 0u; l--) {
    let layer = fusedSizes.layers[l];
    let below = fusedSizes.layers[l - 1u];
    let wStride = layer.inSize * MODEL_COPIES;
    for (var i = 0u; i < layer.inSize; i++) {
      var dz = slotAt(layer.zSlot, t);
      var w = modelAt(layer.wOffset + i, t);
      var sum = vec4<f32>(0.0);
      for (var o = 0u; o < layer.outSize; o++) {
        sum += fusedScratch4[dz] * fusedParams[w];
        dz += FUSED_WORKGROUP;
        w += wStride;
      }
      let at = slotAt(below.zSlot + i, t);
      fusedScratch4[at] = sum * fusedScratch4[at];
    }
  }
}

/** Adds lane t's four samples' terms to its view of every gradient (its own copy, or the one copy of the serial version). */
fn accumulateAll4(t: u32) {
  for (var l = 0u; l < fusedSizes.layerCount; l++) {
    let layer = fusedSizes.layers[l];
    var g = modelAt(layer.wOffset, t);
    for (var o = 0u; o < layer.outSize; o++) {
      let dz = fusedScratch4[slotAt(layer.zSlot + o, t)];
      var x = slotAt(layer.inSlot, t);
      for (var i = 0u; i < layer.inSize; i++) {
        fusedGrads[g] += dot(dz, fusedScratch4[x]);
        g += MODEL_COPIES;
        x += FUSED_WORKGROUP;
      }
      fusedGrads[modelAt(layer.bOffset + o, t)] += laneSum(dz);
    }
  }
}

/**
 * Samples j0 .. j0 + 3 of pass k of epoch `epoch` into lane t (processSample per component): their losses
 * and right-or-wrong, zero for components at or past n.
 */
fn processSample4(t: u32, k: u32, j0: u32, n: u32, epoch: u32) -> SampleLoss4 {
  let training = k < fusedSizes.steps;
  var xAt = fusedSizes.testX;
  var yAt = fusedSizes.testY;
  if (training) {
    xAt = fusedSizes.trainX;
    yAt = fusedSizes.trainY;
  }
  var sample = vec4<u32>(0u);
  var label = vec4<u32>(0u);
  var scale = vec4<f32>(0.0);
  var live = vec4<bool>(false);
  for (var c = 0u; c < LANE_SAMPLES; c++) {
    let j = j0 + c;
    if (j < n) {
      var s = j;
      if (training) {
        s = trainSample(k * fusedSizes.batchSize + j, epoch);
        scale[c] = 1.0 / f32(n);
      }
      sample[c] = s;
      label[c] = fusedData[yAt + s];
      live[c] = true;
    }
  }
  let inputs = fusedSizes.layers[0].inSize;
  for (var i = 0u; i < inputs; i++) {
    var x = vec4<f32>(0.0);
    for (var c = 0u; c < LANE_SAMPLES; c++) {
      if (live[c]) {
        x[c] = bitcast<f32>(fusedData[xAt + sample[c] * inputs + i]);
      }
    }
    fusedScratch4[slotAt(i, t)] = x;
  }
  forwardSample4(t);
  let r = lossSample4(t, label, scale, training);
  if (training) {
    backwardSample4(t);
  }
  return SampleLoss4(select(vec4<f32>(0.0), r.loss, live), select(vec4<u32>(0u), r.correct, live));
}


// ---- fusedTrainSerial: one invocation, four samples at a time, no barriers ----

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
      for (var j0 = 0u; j0 < n; j0 += LANE_SAMPLES) {
        let r = processSample4(0u, k, j0, n, epoch);
        if (training) {
          accumulateAll4(0u);
        }
        addBlock(&totals, training, laneSum(r.loss), laneCount(r.correct));
      }
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

// ---- fusedTrainWorkgroup: FUSED_WORKGROUP invocations, four samples each, owners sum the gradients ----

/** One lane's four samples' term of a gradient: dZ . input over the components (dZ summed for a bias). */
fn gradientTerm4(term: ParamTerm, t: u32) -> f32 {
  let dz = fusedScratch4[slotAt(term.dzSlot, t)];
  if (term.inSlot == NO_INPUT) {
    return laneSum(dz);
  }
  return dot(dz, fusedScratch4[slotAt(term.inSlot, t)]);
}

// Each pass in tiles of LANE_SAMPLES x FUSED_WORKGROUP samples: lane t processes samples tile + 4t ..
// tile + 4t + 3 into its scratch; barrier; each lane adds the tile's terms to the gradients it owns (p = t,
// t + FUSED_WORKGROUP, ...), lane by lane in order, and lane 0 sums the tile's losses; barrier. After a
// batch, the owners update; barrier.
@compute @workgroup_size(FUSED_WORKGROUP)
fn fusedTrainWorkgroup(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) group: vec3<u32>) {
  run = fusedRuns[group.x];
  let job = fusedDispatch;
  let count = fusedSizes.paramCount;
  let tileSize = LANE_SAMPLES * FUSED_WORKGROUP;
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
      for (var first = 0u; first < n; first += tileSize) {
        // Lanes holding at least one sample of this tile.
        let lanes = min(FUSED_WORKGROUP, (n - first + LANE_SAMPLES - 1u) / LANE_SAMPLES);
        if (t < lanes) {
          let r = processSample4(t, k, first + LANE_SAMPLES * t, n, epoch);
          fusedLoss[t] = laneSum(r.loss);
          fusedCorrect[t] = laneCount(r.correct);
        }
        workgroupBarrier();
        if (training) {
          for (var p = t; p < count; p += FUSED_WORKGROUP) {
            let term = paramTerm(p);
            var g = fusedGrads[p];
            for (var j = 0u; j < lanes; j++) {
              g += gradientTerm4(term, j);
            }
            fusedGrads[p] = g;
          }
        }
        if (t == 0u) {
          var block = 0.0;
          var correct = 0u;
          for (var j = 0u; j < lanes; j++) {
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
