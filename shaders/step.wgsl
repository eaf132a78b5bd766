// The per-step record: what changes from one training step to the next, read by the kernels that need it
// (gatherBatch, accumulateLossStats, recordEpoch, the optimizer updates). The host writes one record per
// step of a submission into a uniform buffer, 256-byte aligned, and binds it with a dynamic offset; the
// host puts this whole file in front of shuffle.wgsl, softmaxCrossEntropy.wgsl and optimizer.wgsl.

struct Step {
  epoch: u32,       // 0-based epoch number: the key of this epoch's shuffle
  batchStart: u32,  // position of the batch's first sample in the epoch's order
  batchSize: u32,   // samples in this batch (the last batch of an epoch may be smaller)
  statsBase: u32,   // first entry of this batch in the epoch's loss statistics
  historySlot: u32, // record of this epoch in the history buffer
  correction1: f32, // Adam bias correction 1 - beta1^t at this step's t, from float64 on the host
  correction2: f32, // 1 - beta2^t
}

@group(1) @binding(0) var<uniform> step: Step;
