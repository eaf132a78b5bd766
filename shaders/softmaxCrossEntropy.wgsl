// Softmax cross-entropy: per-sample loss and its gradient in one pass (CPU twin:
// src/cpu/softmaxCrossEntropy.ts), the softmax alone for inference, and the fixed-order reductions that
// turn per-sample losses into the training history without a readback. The host puts step.wgsl first.
//
// Versions, one line each (training uses the fused one):
//   softmaxCrossEntropy + accumulateLossStats  per-sample results, then their block sums: two dispatches.
//   softmaxCrossEntropyStats                   the loss and gradient of each sample and the block sums in
//                                              one dispatch (one workgroup per block); the per-sample
//                                              results are never stored. Same sums, in the same order.
//
// Reductions: accumulateLossStats sums each block of STATS_BLOCK samples into one entry of a statistics
// buffer (one entry per block per batch of the epoch); recordEpoch sums an epoch's entries into its
// history record. Both sum in an order fixed by the sizes alone (strided per invocation, then a tree in
// workgroup memory), so the history is bitwise repeatable on one adapter, and the error grows like
// log2 of the number of terms rather than with the data set's size.

// Samples per workgroup of softmaxCrossEntropy and softmax (one invocation per sample).
override LOSS_WORKGROUP: u32 = 64u;
// Invocations of the reduction kernels; a power of two.
override STATS_WORKGROUP: u32 = 256u;
// Samples each invocation of accumulateLossStats sums; STATS_BLOCK = STATS_WORKGROUP * STATS_PER_INVOCATION.
override STATS_PER_INVOCATION: u32 = 4u;

/** Loss and prediction of one sample: the twin's loss[s] and predicted[s] side by side. */
struct SampleResult {
  loss: f32,
  predicted: u32,
}

/** Summed loss and count of right predictions over a block of samples, a batch, or a data set. */
struct LossStats {
  lossSum: f32,
  correct: u32,
}

struct LossSizes {
  n: u32,         // samples
  classes: u32,   // logits per sample
  scale: f32,     // gradient scale: 1 / batch size for the mean loss
  blockBase: u32, // softmaxCrossEntropyStats: entry of this chunk's first block, after step.statsBase
}

@group(0) @binding(0) var<storage, read_write> lossResults: array<SampleResult>; // (n): loss, argmax
@group(0) @binding(1) var<storage, read_write> lossDZ: array<f32>;               // dZ (n, classes)
@group(0) @binding(2) var<storage, read> lossZ: array<f32>;                      // z (n, classes): logits
@group(0) @binding(3) var<storage, read> lossY: array<u32>;                      // y (n): labels
@group(0) @binding(4) var<uniform> lossSizes: LossSizes;

/** Index of this invocation's sample in a dispatch laid out over a 2-D grid of workgroups. */
fn lossSample(id: vec3<u32>, groups: vec3<u32>) -> u32 {
  return id.y * groups.x * LOSS_WORKGROUP + id.x;
}

/**
 * Sample s: returns (logsumexp(z[s]) - z[s][y[s]], argmax) and writes dZ[s][c] = (softmax(z[s])[c] -
 * [c == y[s]]) * scale. Shifted by the row maximum m, so any finite logits stay finite; in float32 the
 * loss is log(sum) - (z[y] - m) and p = exp(z - m) / sum, so m + log(sum) is never rounded to the ulp of a
 * large m (6e-5 at |m| = 1000). Argmax: the first on ties.
 */
fn crossEntropyAt(s: u32, sizes: LossSizes) -> SampleResult {
  let row = s * sizes.classes;
  var best = 0u;
  var maxLogit = lossZ[row];
  for (var c = 1u; c < sizes.classes; c++) {
    if (lossZ[row + c] > maxLogit) {
      maxLogit = lossZ[row + c];
      best = c;
    }
  }
  var sumExp = 0.0;
  for (var c = 0u; c < sizes.classes; c++) {
    sumExp += exp(lossZ[row + c] - maxLogit);
  }
  let label = lossY[s];
  for (var c = 0u; c < sizes.classes; c++) {
    let p = exp(lossZ[row + c] - maxLogit) / sumExp;
    lossDZ[row + c] = (p - select(0.0, 1.0, c == label)) * sizes.scale;
  }
  return SampleResult(log(sumExp) - (lossZ[row + label] - maxLogit), best);
}

// One invocation per sample: its loss, argmax and gradient (crossEntropyAt).
@compute @workgroup_size(LOSS_WORKGROUP)
fn softmaxCrossEntropy(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let sizes = lossSizes;
  let s = lossSample(id, groups);
  if (s >= sizes.n) {
    return;
  }
  lossResults[s] = crossEntropyAt(s, sizes);
}

@group(0) @binding(0) var<storage, read_write> softmaxProbs: array<f32>; // probs (n, classes)
@group(0) @binding(1) var<storage, read> softmaxZ: array<f32>;           // z (n, classes)
@group(0) @binding(2) var<uniform> softmaxSizes: LossSizes;

// probs[s] = softmax(z[s]), stable.
@compute @workgroup_size(LOSS_WORKGROUP)
fn softmax(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let sizes = softmaxSizes;
  let s = lossSample(id, groups);
  if (s >= sizes.n) {
    return;
  }
  let row = s * sizes.classes;
  var maxLogit = softmaxZ[row];
  for (var c = 1u; c < sizes.classes; c++) {
    maxLogit = max(maxLogit, softmaxZ[row + c]);
  }
  var sumExp = 0.0;
  for (var c = 0u; c < sizes.classes; c++) {
    sumExp += exp(softmaxZ[row + c] - maxLogit);
  }
  for (var c = 0u; c < sizes.classes; c++) {
    softmaxProbs[row + c] = exp(softmaxZ[row + c] - maxLogit) / sumExp;
  }
}

// ---- Fixed-order reductions ----

var<workgroup> partialLoss: array<f32, STATS_WORKGROUP>;
var<workgroup> partialCorrect: array<u32, STATS_WORKGROUP>;

/** Tree sum of the workgroup's partials, pairing t with t + stride for halving strides; the result in [0]. */
fn reducePartials(t: u32) {
  for (var stride = STATS_WORKGROUP / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (t < stride) {
      partialLoss[t] += partialLoss[t + stride];
      partialCorrect[t] += partialCorrect[t + stride];
    }
  }
  workgroupBarrier();
}

/** The workgroup's sum of every invocation's (loss, correct), by reducePartials. */
fn workgroupSums(t: u32, loss: f32, correct: u32) -> LossStats {
  partialLoss[t] = loss;
  partialCorrect[t] = correct;
  reducePartials(t);
  return LossStats(partialLoss[0], partialCorrect[0]);
}

/** Sample j of invocation t in block b: b*BLOCK + t + j*STATS_WORKGROUP (both block kernels' order). */
fn blockSample(b: u32, t: u32, j: u32) -> u32 {
  return (b * STATS_PER_INVOCATION + j) * STATS_WORKGROUP + t;
}

struct StatsSizes {
  n: u32,         // samples in this chunk
  blockBase: u32, // entry of this chunk's first block, after step.statsBase
}

@group(0) @binding(0) var<storage, read_write> statsOut: array<LossStats>; // one entry per block
@group(0) @binding(1) var<storage, read> statsResults: array<SampleResult>; // (n)
@group(0) @binding(2) var<storage, read> statsY: array<u32>;                // y (n)
@group(0) @binding(3) var<uniform> statsSizes: StatsSizes;

// Workgroup b sums the loss and the right predictions of samples [b*BLOCK, (b+1)*BLOCK) into entry
// step.statsBase + blockBase + b. Invocation t takes samples b*BLOCK + t + j*STATS_WORKGROUP for j in
// increasing order. Dispatch (ceil(n / BLOCK)). Twin: accumulateLossStats (src/cpu/softmaxCrossEntropy.ts),
// bit for bit.
@compute @workgroup_size(STATS_WORKGROUP)
fn accumulateLossStats(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) group: vec3<u32>) {
  let sizes = statsSizes;
  var loss = 0.0;
  var correct = 0u;
  for (var j = 0u; j < STATS_PER_INVOCATION; j++) {
    let s = blockSample(group.x, t, j);
    if (s < sizes.n) {
      let result = statsResults[s];
      loss += result.loss;
      correct += select(0u, 1u, result.predicted == statsY[s]);
    }
  }
  let sums = workgroupSums(t, loss, correct);
  if (t == 0u) {
    statsOut[step.statsBase + sizes.blockBase + group.x] = sums;
  }
}

@group(0) @binding(0) var<storage, read_write> lossStatsOut: array<LossStats>; // one entry per block

// softmaxCrossEntropyStats: softmaxCrossEntropy and accumulateLossStats in one dispatch, over the
// bindings of softmaxCrossEntropy (lossDZ, lossZ, lossY, lossSizes) with the statistics at binding 0.
// Workgroup b takes the samples of block b exactly as accumulateLossStats does (invocation t: b*BLOCK + t
// + j*STATS_WORKGROUP, j increasing), computes each one's loss and gradient, and writes the block's sums to
// entry step.statsBase + blockBase + b. Dispatch (ceil(n / BLOCK)).
@compute @workgroup_size(STATS_WORKGROUP)
fn softmaxCrossEntropyStats(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) group: vec3<u32>) {
  let sizes = lossSizes;
  var loss = 0.0;
  var correct = 0u;
  for (var j = 0u; j < STATS_PER_INVOCATION; j++) {
    let s = blockSample(group.x, t, j);
    if (s < sizes.n) {
      let result = crossEntropyAt(s, sizes);
      loss += result.loss;
      correct += select(0u, 1u, result.predicted == lossY[s]);
    }
  }
  let sums = workgroupSums(t, loss, correct);
  if (t == 0u) {
    lossStatsOut[step.statsBase + sizes.blockBase + group.x] = sums;
  }
}

/** One epoch of the history: what EpochRecord (src/train/metrics.ts) is computed from on the host. */
struct EpochStats {
  trainLossSum: f32,
  trainCorrect: u32,
  testLossSum: f32,
  testCorrect: u32,
}

struct RecordSizes {
  trainSize: u32,      // samples per epoch
  batchSize: u32,      // samples per full batch
  blocksPerBatch: u32, // statistics entries per batch: ceil(batchSize / BLOCK)
  steps: u32,          // batches per epoch
  testBlocks: u32,     // statistics entries of the test set (0: no test set)
}

@group(0) @binding(0) var<storage, read_write> recordHistory: array<EpochStats>; // (history capacity)
@group(0) @binding(1) var<storage, read> recordTrain: array<LossStats>;          // (steps * blocksPerBatch)
@group(0) @binding(2) var<storage, read> recordTest: array<LossStats>;           // (testBlocks)
@group(0) @binding(3) var<uniform> recordSizes: RecordSizes;

/** The sum of one statistics buffer: entry e of train belongs to batch e / blocksPerBatch. */
fn sumEntries(t: u32, train: bool) -> LossStats {
  let sizes = recordSizes;
  let block = STATS_WORKGROUP * STATS_PER_INVOCATION;
  let count = select(sizes.testBlocks, sizes.steps * sizes.blocksPerBatch, train);
  var loss = 0.0;
  var correct = 0u;
  workgroupBarrier(); // a previous call's result may still be being read from [0]
  for (var e = t; e < count; e += STATS_WORKGROUP) {
    if (train) {
      // The last batch may have fewer blocks than the others; its missing entries hold stale values.
      if ((e / sizes.blocksPerBatch) * sizes.batchSize + (e % sizes.blocksPerBatch) * block < sizes.trainSize) {
        loss += recordTrain[e].lossSum;
        correct += recordTrain[e].correct;
      }
    } else {
      loss += recordTest[e].lossSum;
      correct += recordTest[e].correct;
    }
  }
  return workgroupSums(t, loss, correct);
}

// One workgroup: history[step.historySlot] = sums of the epoch's train and test statistics. Twin:
// sumLossStats (src/cpu/softmaxCrossEntropy.ts), bit for bit.
@compute @workgroup_size(STATS_WORKGROUP)
fn recordEpoch(@builtin(local_invocation_index) t: u32) {
  let train = sumEntries(t, true);
  let test = sumEntries(t, false);
  if (t == 0u) {
    recordHistory[step.historySlot] = EpochStats(train.lossSum, train.correct, test.lossSum, test.correct);
  }
}
