enable subgroups;

// The fused trainer's subgroup version (see fused.wgsl, which the host puts after this file with
// step.wgsl, shuffle.wgsl, activation.wgsl and optimizer.wgsl; `enable` has to open the module). Needs
// the 'subgroups' feature. FUSED_WORKGROUP is the adapter's smallest subgroup size, so the workgroup is
// one subgroup; MODEL_COPIES = FUSED_WORKGROUP, so every lane keeps its own copy of the parameters,
// gradients and optimizer state. Lane t takes samples t, t + FUSED_WORKGROUP, ... of each batch into its
// own scratch and adds their gradient terms, in that order, to its own copy of the gradients (and their
// losses to its own sums); after the batch, subgroupAdd sums each gradient across the lanes, which hands
// every lane the same total, and every lane updates its own copy identically. So there is one subgroup
// operation per parameter per batch, not per tile of samples, and no invocation ever reads what another
// wrote to workgroup memory: no barrier at all (CPU-emulated adapters then run the workgroup as one plain
// SIMD loop, without coroutines). The sums' order (per lane, then across lanes in the order the hardware
// fixes) is bitwise repeatable on one adapter, not bitwise equal to the other versions'.

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
      // This lane's share of the pass: its losses, in blocks of FUSED_LOSS_BLOCK samples, as the serial version sums them.
      var laneLoss = 0.0;
      var laneBlock = 0.0;
      var laneCorrect = 0u;
      var j = 0u;
      // The loop's bound is the same for every lane (the subgroupAdds below need uniform control flow).
      for (var first = 0u; first < n; first += FUSED_WORKGROUP) {
        if (first + t < n) {
          let r = processSample(t, k, first + t, n, epoch);
          if (training) {
            accumulateAll(t);
          }
          laneBlock += r.loss;
          laneCorrect += r.correct;
          j++;
          if (j % FUSED_LOSS_BLOCK == 0u) {
            laneLoss += laneBlock;
            laneBlock = 0.0;
          }
        }
      }
      addBlock(&totals, training, subgroupAdd(laneLoss + laneBlock), subgroupAdd(laneCorrect));
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
