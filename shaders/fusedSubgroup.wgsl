enable subgroups;

// The fused trainer's subgroup version (see fused.wgsl, which the host puts after this file with
// step.wgsl, shuffle.wgsl, activation.wgsl and optimizer.wgsl; `enable` has to open the module). Needs
// the 'subgroups' feature. FUSED_WORKGROUP is the adapter's smallest subgroup size, so the workgroup is
// one subgroup; MODEL_COPIES = FUSED_WORKGROUP, so every lane keeps its own copy of the parameters,
// gradients and optimizer state.
//
// Each lane carries SUBGROUP_SAMPLES samples at once as the components of vec4s (its scratch slots are
// vec4s): lane t takes samples 4t .. 4t + 3 of each tile of 4 x FUSED_WORKGROUP, so every parameter read
// serves four samples, which is what the CPU-emulated adapters (one memory access per lane per read)
// gain most from, and a GPU gets four independent chains of arithmetic per lane. A lane adds its samples'
// gradient terms (summed over the four components by dot) to its own copy of the gradients, and its
// losses to its own sums; after the batch, subgroupAdd sums each gradient across the lanes, which hands
// every lane the same total, and every lane updates its own copy identically. One subgroup operation per
// parameter per batch, and no invocation ever reads what another wrote to workgroup memory: no barrier
// at all (CPU-emulated adapters then run the workgroup as one plain SIMD loop, without coroutines). The
// sums' order (per component, per lane, then across lanes as the hardware fixes it) is bitwise repeatable
// on one adapter, not bitwise equal to the other versions'. Components past the end of a batch carry
// x = 0 and a zero loss scale: finite, and adding nothing.

const SUBGROUP_SAMPLES: u32 = 4u;

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
        for (var c = 0u; c < SUBGROUP_SAMPLES; c++) {
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

/** Adds lane t's four samples' terms to its own copy of every gradient. */
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
      fusedGrads[modelAt(layer.bOffset + o, t)] += (dz.x + dz.y) + (dz.z + dz.w);
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
  for (var c = 0u; c < SUBGROUP_SAMPLES; c++) {
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
    for (var c = 0u; c < SUBGROUP_SAMPLES; c++) {
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

@compute @workgroup_size(FUSED_WORKGROUP)
fn fusedTrainSubgroup(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) group: vec3<u32>) {
  run = fusedRuns[group.x];
  let job = fusedDispatch;
  let count = fusedSizes.paramCount;
  let tile = SUBGROUP_SAMPLES * FUSED_WORKGROUP;
  loadModel(t, 0u, 1u);
  for (var e = 0u; e < epochCount(); e++) {
    let epoch = job.firstEpoch + e;
    var totals = EpochTotals(0.0, 0u, 0.0, 0u);
    for (var k = 0u; k < passCount(); k++) {
      let training = k < fusedSizes.steps;
      let n = passSize(k);
      if (training) {
        for (var p = 0u; p < count; p++) {
          fusedGrads[modelAt(p, t)] = 0.0;
        }
      }
      var laneLoss = 0.0;
      var laneCorrect = 0u;
      // The loop's bound is the same for every lane (the subgroupAdds below need uniform control flow).
      for (var first = 0u; first < n; first += tile) {
        let j0 = first + SUBGROUP_SAMPLES * t;
        if (j0 < n) {
          let r = processSample4(t, k, j0, n, epoch);
          if (training) {
            accumulateAll4(t);
          }
          laneLoss += (r.loss.x + r.loss.y) + (r.loss.z + r.loss.w);
          laneCorrect += (r.correct.x + r.correct.y) + (r.correct.z + r.correct.w);
        }
      }
      addBlock(&totals, training, subgroupAdd(laneLoss), subgroupAdd(laneCorrect));
      if (training) {
        let stepEntry = job.stepBase + e * fusedSizes.steps + k;
        for (var p = 0u; p < count; p++) {
          let g = subgroupAdd(fusedGrads[modelAt(p, t)]);
          if (job.gradientsOnly == 0u) {
            updateParam(p, t, g, stepEntry);
          } else {
            fusedGrads[modelAt(p, t)] = g;
          }
        }
      }
    }
    // Every copy is the same: lane 0 stores its own (the others start past the end).
    finishEpoch(t, select(NO_INPUT, 0u, t == 0u), 1u, e, totals);
  }
  if (job.gradientsOnly == 0u) {
    storeModel(t, select(NO_INPUT, 0u, t == 0u), 1u);
  }
}
