// Parameter updates, in place, over every parameter of the network in one dispatch: the GPU side of
// src/cpu/optimizer.ts. Parameters are packed into one buffer: every layer's weights first, then every
// layer's biases, so weight decay (L2, added to the gradient) applies to [0, weightCount) only.
//
// The gradient is the second pass of the batch reduction: matmulGradWeights leaves one row of partial
// sums per chunk of samples; g[i] = sum of rows r = 0, 1, ... in that order, so the result is bitwise
// repeatable and each float32 sum has at most `chunk` + rows terms. The host puts step.wgsl first.

override OPTIMIZER_WORKGROUP: u32 = 256u;

struct OptimizerSizes {
  count: u32,         // parameters
  weightCount: u32,   // parameters [0, weightCount) are weights, the rest biases
  chunk: u32,         // samples per row of partial sums: the batch has ceil(step.batchSize / chunk) rows
  lr: f32,            // step size
  momentum: f32,      // momentum coefficient mu
  beta1: f32,         // Adam decay rates and epsilon
  beta2: f32,
  oneMinusBeta1: f32, // 1 - beta1 and 1 - beta2, rounded once from float64 on the host
  oneMinusBeta2: f32,
  epsilon: f32,
  weightDecay: f32,   // L2 weight decay on weights
}

// Every update reads the partial sums and the sizes at the same bindings, after its own outputs.
@group(0) @binding(8) var<storage, read> gradientPartial: array<f32>; // (rows, count)
@group(0) @binding(9) var<uniform> optimizer: OptimizerSizes;

/** g[i]: the sum of the batch's rows of partial sums, in row order. */
fn gradient(i: u32) -> f32 {
  let rows = (step.batchSize + optimizer.chunk - 1u) / optimizer.chunk;
  var g = 0.0;
  for (var r = 0u; r < rows; r++) {
    g += gradientPartial[r * optimizer.count + i];
  }
  return g;
}

/** Index of this invocation's parameter in a dispatch laid out over a 2-D grid of workgroups. */
fn parameterIndex(id: vec3<u32>, groups: vec3<u32>) -> u32 {
  return id.y * groups.x * OPTIMIZER_WORKGROUP + id.x;
}

// sumGradPartials: grads (count) = g, for inspection (gradient checks); training fuses it into the updates.
@group(0) @binding(0) var<storage, read_write> sumGrads: array<f32>; // grads (count)

@compute @workgroup_size(OPTIMIZER_WORKGROUP)
fn sumGradPartials(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = parameterIndex(id, groups);
  if (i < optimizer.count) {
    sumGrads[i] = gradient(i);
  }
}

// sgdUpdate: p -= lr (g + wd p).
@group(0) @binding(0) var<storage, read_write> sgdP: array<f32>; // p (count)

@compute @workgroup_size(OPTIMIZER_WORKGROUP)
fn sgdUpdate(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = parameterIndex(id, groups);
  let sizes = optimizer;
  if (i >= sizes.count) {
    return;
  }
  let g = gradient(i);
  let wd = select(0.0, sizes.weightDecay, i < sizes.weightCount);
  let p = sgdP[i];
  sgdP[i] = p - sizes.lr * (g + wd * p);
}

// momentumUpdate: v = mu v + (g + wd p); p -= lr v.
@group(0) @binding(0) var<storage, read_write> momentumP: array<f32>; // p (count)
@group(0) @binding(1) var<storage, read_write> momentumV: array<f32>; // v (count)

@compute @workgroup_size(OPTIMIZER_WORKGROUP)
fn momentumUpdate(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = parameterIndex(id, groups);
  let sizes = optimizer;
  if (i >= sizes.count) {
    return;
  }
  let g = gradient(i);
  let wd = select(0.0, sizes.weightDecay, i < sizes.weightCount);
  let p = momentumP[i];
  let v = sizes.momentum * momentumV[i] + (g + wd * p);
  momentumV[i] = v;
  momentumP[i] = p - sizes.lr * v;
}

// adamUpdate at step t (corrections from the step record):
// m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps), g with wd p.
@group(0) @binding(0) var<storage, read_write> adamP: array<f32>; // p (count)
@group(0) @binding(1) var<storage, read_write> adamM: array<f32>; // m (count)
@group(0) @binding(2) var<storage, read_write> adamV: array<f32>; // v (count)

@compute @workgroup_size(OPTIMIZER_WORKGROUP)
fn adamUpdate(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = parameterIndex(id, groups);
  let sizes = optimizer;
  if (i >= sizes.count) {
    return;
  }
  let g = gradient(i);
  let wd = select(0.0, sizes.weightDecay, i < sizes.weightCount);
  let p = adamP[i];
  let grad = g + wd * p;
  let m = sizes.beta1 * adamM[i] + sizes.oneMinusBeta1 * grad;
  let v = sizes.beta2 * adamV[i] + sizes.oneMinusBeta2 * grad * grad;
  adamM[i] = m;
  adamV[i] = v;
  adamP[i] = p - (sizes.lr * (m / step.correction1)) / (sqrt(v / step.correction2) + sizes.epsilon);
}
