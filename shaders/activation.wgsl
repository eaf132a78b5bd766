// Hidden-layer activations, forward and backward: the GPU side of src/cpu/activation.ts.
// The functions below are shared: the host puts this whole file in front of matmul.wgsl to make the
// matmul module (WGSL has no #include). Every function stays finite and accurate for any finite z: no exp
// of a large positive number, no log of a number near 1 (WGSL allows log an absolute error of 2^-21
// there, which would swamp small results).

// Activation codes; src/gpu/kernels.ts ACTIVATION_CODES maps the names to them.
const ACT_IDENTITY: u32 = 0u;
const ACT_SOFTPLUS: u32 = 1u;
const ACT_RELU: u32 = 2u;
const ACT_TANH: u32 = 3u;
const ACT_SIGMOID: u32 = 4u;

// Which activation a pipeline computes (set per pipeline; identity for the output layer's logits).
override ACTIVATION: u32 = ACT_IDENTITY;
// Invocations per workgroup of the elementwise kernels.
override ELEMENTWISE_WORKGROUP: u32 = 256u;

/** Stable logistic: exp is only taken of -|z|. */
fn sigmoid(z: f32) -> f32 {
  if (z >= 0.0) {
    return 1.0 / (1.0 + exp(-z));
  }
  let e = exp(z);
  return e / (1.0 + e);
}

/**
 * log(1 + u) for u in [0, 1], as 2 atanh(s) with s = u / (2 + u) <= 1/3, summed by its odd series up to
 * s^17 (truncation below 2e-10 relative): a few ulp everywhere, including u far below 2^-24.
 */
fn log1pUnit(u: f32) -> f32 {
  let s = u / (2.0 + u);
  let s2 = s * s;
  var series = 1.0 / 17.0;
  series = 1.0 / 15.0 + s2 * series;
  series = 1.0 / 13.0 + s2 * series;
  series = 1.0 / 11.0 + s2 * series;
  series = 1.0 / 9.0 + s2 * series;
  series = 1.0 / 7.0 + s2 * series;
  series = 1.0 / 5.0 + s2 * series;
  series = 1.0 / 3.0 + s2 * series;
  series = 1.0 + s2 * series;
  return 2.0 * s * series;
}

/** softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e^-|z|). */
fn softplus(z: f32) -> f32 {
  return max(z, 0.0) + log1pUnit(exp(-abs(z)));
}

/**
 * tanh without the builtin (whose WGSL accuracy is inherited from sinh/cosh: poor near 0, and
 * overflowing for large |z| on some drivers). |z| < 1/4: Taylor series to z^11 (truncation below 3e-10
 * relative); else sign(z) (1 - e) / (1 + e) with e = exp(-2|z|) <= 0.61, so 1 - e never cancels.
 */
fn tanhStable(z: f32) -> f32 {
  let x = abs(z);
  if (x < 0.25) {
    let x2 = z * z;
    var series = -1382.0 / 155925.0;
    series = 62.0 / 2835.0 + x2 * series;
    series = -17.0 / 315.0 + x2 * series;
    series = 2.0 / 15.0 + x2 * series;
    series = -1.0 / 3.0 + x2 * series;
    return z + z * x2 * series;
  }
  let e = exp(-2.0 * x);
  return sign(z) * ((1.0 - e) / (1.0 + e));
}

/** act(z); the identity for the output layer. */
fn activate(z: f32) -> f32 {
  switch ACTIVATION {
    case ACT_SOFTPLUS: {
      return softplus(z);
    }
    case ACT_RELU: {
      return select(0.0, z, z > 0.0);
    }
    case ACT_TANH: {
      return tanhStable(z);
    }
    case ACT_SIGMOID: {
      return sigmoid(z);
    }
    default: {
      return z;
    }
  }
}

/** act'(z). relu'(0) is taken as 0. */
fn activateDerivative(z: f32) -> f32 {
  switch ACTIVATION {
    case ACT_SOFTPLUS: {
      return sigmoid(z);
    }
    case ACT_RELU: {
      return select(0.0, 1.0, z > 0.0);
    }
    case ACT_TANH: {
      let t = tanhStable(z);
      return 1.0 - t * t;
    }
    case ACT_SIGMOID: {
      let s = sigmoid(z);
      return s * (1.0 - s);
    }
    default: {
      return 1.0;
    }
  }
}

/**
 * (act(z), act'(z)) with the work they share done once: bit for bit (activate(z), activateDerivative(z))
 * (softplus and its derivative sigmoid share exp(-|z|), tanh' and sigmoid' reuse the value). For the
 * fused trainer, which keeps act'(z) from the forward pass for the backward one.
 */
fn activateWithDerivative(z: f32) -> vec2<f32> {
  switch ACTIVATION {
    case ACT_SOFTPLUS: {
      let e = exp(-abs(z));
      return vec2<f32>(max(z, 0.0) + log1pUnit(e), select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0));
    }
    case ACT_RELU: {
      return vec2<f32>(select(0.0, z, z > 0.0), select(0.0, 1.0, z > 0.0));
    }
    case ACT_TANH: {
      let t = tanhStable(z);
      return vec2<f32>(t, 1.0 - t * t);
    }
    case ACT_SIGMOID: {
      let s = sigmoid(z);
      return vec2<f32>(s, s * (1.0 - s));
    }
    default: {
      return vec2<f32>(z, 1.0);
    }
  }
}

/** Index of this invocation in a 1-D range laid out over a 2-D grid of workgroups (x then y). */
fn flatIndex(id: vec3<u32>, groups: vec3<u32>) -> u32 {
  return id.y * groups.x * ELEMENTWISE_WORKGROUP + id.x;
}

// ---- Standalone elementwise kernels (the unfused version; production fuses them into matmul.wgsl) ----

struct ElementwiseSizes {
  count: u32, // values to process
}

// activationForward: a (count) = act(z (count)).
@group(0) @binding(0) var<storage, read_write> actForwardA: array<f32>;  // a (count)
@group(0) @binding(1) var<storage, read> actForwardZ: array<f32>;        // z (count)
@group(0) @binding(2) var<uniform> actForwardSizes: ElementwiseSizes;

@compute @workgroup_size(ELEMENTWISE_WORKGROUP)
fn activationForward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(id, groups);
  if (i < actForwardSizes.count) {
    actForwardA[i] = activate(actForwardZ[i]);
  }
}

// activationBackward: dZ (count) = dA (count) * act'(z (count)).
@group(0) @binding(0) var<storage, read_write> actBackwardDZ: array<f32>; // dZ (count)
@group(0) @binding(1) var<storage, read> actBackwardDA: array<f32>;       // dA (count)
@group(0) @binding(2) var<storage, read> actBackwardZ: array<f32>;        // z (count)
@group(0) @binding(3) var<uniform> actBackwardSizes: ElementwiseSizes;

@compute @workgroup_size(ELEMENTWISE_WORKGROUP)
fn activationBackward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(id, groups);
  if (i < actBackwardSizes.count) {
    actBackwardDZ[i] = actBackwardDA[i] * activateDerivative(actBackwardZ[i]);
  }
}
