// Parameter updates, in place, over every parameter of the network in one dispatch: the GPU side of
// src/cpu/optimizer.ts. Parameters are packed into one buffer: every layer's weights first, then every
// layer's biases, so weight decay (L2, added to the gradient) applies to [0, weightCount) only.
//
// The gradient is the second pass of the batch reduction: matmulGradWeights leaves one row of partial
// sums per chunk of samples; g[i] = sum of rows r = 0, 1, ... in that order, so the result is bitwise
// repeatable and each float32 sum has at most `chunk` + rows terms. The host puts step.wgsl first.
//
// The update of one value (sgdStep, momentumStep, adamStep) is written once here and used by these
// kernels, by matmulGradWeightsUpdate (matmul.wgsl, which computes the gradient and updates in one pass)
// and by the fused trainer (fused.wgsl).

override OPTIMIZER_WORKGROUP: u32 = 256u;

// Optimizer codes of the kernels that pick the update by an override (src/gpu/kernels.ts OPTIMIZER_CODES).
const OPT_GD: u32 = 0u;
const OPT_MOMENTUM: u32 = 1u;
const OPT_ADAM: u32 = 2u;
override OPTIMIZER: u32 = OPT_GD;

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

/** Weight decay of parameter i. */
fn decayOf(i: u32, o: OptimizerSizes) -> f32 {
  return select(0.0, o.weightDecay, i < o.weightCount);
}

/** sgd: p - lr (g + wd p). */
fn sgdStep(p: f32, g: f32, wd: f32, o: OptimizerSizes) -> f32 {
  return p - o.lr * (g + wd * p);
}

/** momentum: v' = mu v + (g + wd p); returns (p - lr v', v'). */
fn momentumStep(p: f32, v: f32, g: f32, wd: f32, o: OptimizerSizes) -> vec2<f32> {
  let velocity = o.momentum * v + (g + wd * p);
  return vec2<f32>(p - o.lr * velocity, velocity);
}

/**
 * Adam at the step whose corrections (1 - b1^t, 1 - b2^t) are given: m' = b1 m + (1-b1) g,
 * v' = b2 v + (1-b2) g^2 (g with wd p); returns (p - lr (m' / c1) / (sqrt(v' / c2) + eps), m', v').
 */
fn adamStep(p: f32, m: f32, v: f32, g: f32, wd: f32, o: OptimizerSizes, corrections: vec2<f32>) -> vec3<f32> {
  let grad = g + wd * p;
  let m1 = o.beta1 * m + o.oneMinusBeta1 * grad;
  let v1 = o.beta2 * v + o.oneMinusBeta2 * grad * grad;
  return vec3<f32>(p - (o.lr * (m1 / corrections.x)) / (sqrt(v1 / corrections.y) + o.epsilon), m1, v1);
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
  sgdP[i] = sgdStep(sgdP[i], gradient(i), decayOf(i, sizes), sizes);
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
  let r = momentumStep(momentumP[i], momentumV[i], gradient(i), decayOf(i, sizes), sizes);
  momentumP[i] = r.x;
  momentumV[i] = r.y;
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
  let r = adamStep(adamP[i], adamM[i], adamV[i], gradient(i), decayOf(i, sizes), sizes, vec2<f32>(step.correction1, step.correction2));
  adamP[i] = r.x;
  adamM[i] = r.y;
  adamV[i] = r.z;
}
