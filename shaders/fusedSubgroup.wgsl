enable subgroups;

// The fused trainer's subgroup version (see fused.wgsl, which the host puts after this file with
// step.wgsl, shuffle.wgsl, activation.wgsl and optimizer.wgsl; `enable` has to open the module). Needs
// the 'subgroups' feature. FUSED_WORKGROUP is the adapter's smallest subgroup size, so the workgroup is
// one subgroup; MODEL_COPIES = FUSED_WORKGROUP, so every lane keeps its own copy of the parameters,
// gradients and optimizer state.
//
// Each lane carries LANE_SAMPLES samples at once as the components of vec4s (its scratch slots are
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

@compute @workgroup_size(FUSED_WORKGROUP)
fn fusedTrainSubgroup(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) group: vec3<u32>) {
  run = fusedRuns[group.x];
  let job = fusedDispatch;
  let count = fusedSizes.paramCount;
  let tile = LANE_SAMPLES * FUSED_WORKGROUP;
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
        let j0 = first + LANE_SAMPLES * t;
        if (j0 < n) {
          let r = processSample4(t, k, j0, n, epoch);
          if (training) {
            accumulateAll4(t);
          }
          laneLoss += laneSum(r.loss);
          laneCorrect += laneCount(r.correct);
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
