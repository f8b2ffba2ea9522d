// Optimizer steps, in place on the parameter and its state. The learning rate (and Adam's
// bias correction) are read from the small `hyper` tensor, never from uniforms, so a recorded
// training plan can be replayed with new values; the uniforms hold only per-optimizer
// constants (momentum, betas, epsilon, weight decay).
// One invocation updates 4 consecutive parameters (one vec4; buffers are padded to 16 bytes so
// the tail vec4 stays in bounds and only touches padding); one workgroup 4·WG. The problem may
// be folded into y: the linear id is gid.x + gid.y·nwg.x·WG. Entry points:
// sgd          — θ ← θ − lr·(g + wd·θ)
// sgd_momentum — g' = g + wd·θ; v ← μ·v + g'; θ ← θ − lr·(NESTEROV ? g' + μ·v : v)
// adam         — θ ← θ − lr·wd·θ; m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
//                θ ← θ − lr·c·m/(√v + ε), with hyper = [lr, c], c = √(1 − β2ᵗ)/(1 − β1ᵗ)

override WG: u32 = 256u;
// sgd_momentum: 1 for Nesterov momentum.
override NESTEROV: u32 = 0u;

struct Params {
  count4: u32,
  // SGD: momentum μ; Adam: β1
  a: f32,
  // Adam: β2
  b: f32,
  // Adam: ε
  epsilon: f32,
  weight_decay: f32,
  // Adam: 1 − β1 and 1 − β2, computed in float64 on the host (1 − f32(0.999) is off by 1e-5 relative)
  one_minus_a: f32,
  one_minus_b: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> grad: array<vec4<f32>>;          // param's shape
@group(0) @binding(2) var<storage, read> hyper: array<f32>;               // SGD (1): [lr]; Adam (2): [lr, c]
@group(0) @binding(3) var<storage, read_write> param: array<vec4<f32>>;   // in place
@group(0) @binding(4) var<storage, read_write> state0: array<vec4<f32>>;  // SGD: velocity; Adam: m
@group(0) @binding(5) var<storage, read_write> state1: array<vec4<f32>>;  // Adam: v

fn linear_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= params.count4) { return; }
  let theta = param[i];
  param[i] = theta - hyper[0] * (grad[i] + params.weight_decay * theta);
}

@compute @workgroup_size(WG)
fn sgd_momentum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= params.count4) { return; }
  let theta = param[i];
  let g = grad[i] + params.weight_decay * theta;
  let v = params.a * state0[i] + g;
  state0[i] = v;
  var update = v;
  if (NESTEROV == 1u) { update = g + params.a * v; }
  param[i] = theta - hyper[0] * update;
}

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= params.count4) { return; }
  let lr = hyper[0];
  let c = hyper[1];
  let g = grad[i];
  let theta = param[i] - lr * params.weight_decay * param[i];
  let m = params.a * state0[i] + params.one_minus_a * g;
  let v = params.b * state1[i] + params.one_minus_b * g * g;
  state0[i] = m;
  state1[i] = v;
  param[i] = theta - lr * c * m / (sqrt(v) + params.epsilon);
}
