enable subgroups;

// The fused trainer's subgroup version (see fused.wgsl, which the host puts after this file with
// step.wgsl, shuffle.wgsl, activation.wgsl and optimizer.wgsl; `enable` has to open the module). Needs
// the 'subgroups' feature. FUSED_WORKGROUP is the adapter's smallest subgroup size, so the workgroup is
// one subgroup; MODEL_COPIES = FUSED_WORKGROUP, so every lane keeps its own copy of the parameters,
// gradients and optimizer state. Lane t takes one sample of each tile into its own scratch; each
// gradient's terms over the tile are summed by subgroupAdd, which hands every lane the same sum, and every
// lane adds it to its own copy and updates its own copy identically. No invocation ever reads what
// another wrote to workgroup memory, so there is no barrier at all (CPU-emulated adapters then run the
// workgroup as one plain SIMD loop, without coroutines). subgroupAdd sums in an order the hardware fixes:
// bitwise repeatable on one adapter, not bitwise equal to the other versions.

/** Adds the tile's terms of every gradient (0 from lanes without a sample), summed across lanes, to lane t's copy. */
fn accumulateSubgroup(t: u32, live: bool) {
  for (var l = 0u; l < fusedSizes.layerCount; l++) {
    let layer = fusedSizes.layers[l];
    var g = modelAt(layer.wOffset, t);
    for (var o = 0u; o < layer.outSize; o++) {
      let dz = select(0.0, fusedScratch[slotAt(layer.zSlot + o, t)], live);
      var x = slotAt(layer.inSlot, t);
      for (var i = 0u; i < layer.inSize; i++) {
        fusedGrads[g] += subgroupAdd(dz * select(0.0, fusedScratch[x], live));
        g += MODEL_COPIES;
        x += FUSED_WORKGROUP;
      }
      fusedGrads[modelAt(layer.bOffset + o, t)] += subgroupAdd(dz);
    }
  }
}

@compute @workgroup_size(FUSED_WORKGROUP)
fn fusedTrainSubgroup(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) group: vec3<u32>) {
  run = fusedRuns[group.x];
  let job = fusedDispatch;
  let count = fusedSizes.paramCount;
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
      for (var first = 0u; first < n; first += FUSED_WORKGROUP) {
        let live = t < min(FUSED_WORKGROUP, n - first);
        var r = SampleLoss(0.0, 0u);
        if (live) {
          r = processSample(t, k, first + t, n, epoch);
        }
        addBlock(&totals, training, subgroupAdd(r.loss), subgroupAdd(r.correct));
        if (training) {
          accumulateSubgroup(t, live);
        }
      }
      if (training && job.gradientsOnly == 0u) {
        let stepEntry = job.stepBase + e * fusedSizes.steps + k;
        for (var p = 0u; p < count; p++) {
          updateParam(p, t, fusedGrads[modelAt(p, t)], stepEntry);
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
