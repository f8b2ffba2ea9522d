// Optimizer steps, in place on the parameter and its state. The learning rate (and Adam's
// bias correction) are read from the small `hyper` tensor, never from uniforms, so a recorded
// training plan can be replayed with new values; the uniforms hold only per-optimizer
// constants (momentum, betas, epsilon, weight decay).
// One invocation updates 4 consecutive parameters (one vec4; buffers are padded to 16 bytes so
// the tail vec4 stays in bounds and only touches padding); one workgroup 4·WG. The problem may
// be folded into y: the linear id is gid.x + gid.y·nwg.x·WG (the index prelude). Entry points:
// sgd          — θ ← θ − lr·(g + wd·θ)
// sgd_momentum — g' = g + wd·θ; v ← μ·v + g'; θ ← θ − lr·(NESTEROV ? g' + μ·v : v)
// adam         — θ ← θ − lr·wd·θ; m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
//                θ ← θ − lr·c·m/(√v + ε), with hyper = [lr, c], c = √(1 − β2ᵗ)/(1 − β1ᵗ)

override WG: u32 = 256u;
// sgd_momentum: 1 for Nesterov momentum.
override NESTEROV: u32 = 0u;

// Uniforms: SgdParams (sgd, sgd_momentum) and AdamParams (adam), generated from SGD_PARAMS and
// ADAM_PARAMS in src/backends/webgpu/kernels/optimizer.ts; each entry point binds one of them.
@group(0) @binding(0) var<uniform> sgd_params: SgdParams;
@group(0) @binding(0) var<uniform> adam_params: AdamParams;
@group(0) @binding(1) var<storage, read> grad: array<vec4<f32>>;          // param's shape
@group(0) @binding(2) var<storage, read> hyper: array<f32>;               // SGD (1): [lr]; Adam (2): [lr, c]
@group(0) @binding(3) var<storage, read_write> param: array<vec4<f32>>;   // in place
@group(0) @binding(4) var<storage, read_write> state0: array<vec4<f32>>;  // SGD: velocity; Adam: m
@group(0) @binding(5) var<storage, read_write> state1: array<vec4<f32>>;  // Adam: v

@compute @workgroup_size(WG)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= sgd_params.count4) { return; }
  let theta = param[i];
  param[i] = theta - hyper[0] * (grad[i] + sgd_params.weight_decay * theta);
}

@compute @workgroup_size(WG)
fn sgd_momentum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= sgd_params.count4) { return; }
  let theta = param[i];
  let g = grad[i] + sgd_params.weight_decay * theta;
  let v = sgd_params.momentum * state0[i] + g;
  state0[i] = v;
  var update = v;
  if (NESTEROV == 1u) { update = g + sgd_params.momentum * v; }
  param[i] = theta - hyper[0] * update;
}

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= adam_params.count4) { return; }
  let lr = hyper[0];
  let c = hyper[1];
  let g = grad[i];
  let theta = param[i] - lr * adam_params.weight_decay * param[i];
  let m = adam_params.beta1 * state0[i] + adam_params.one_minus_beta1 * g;
  let v = adam_params.beta2 * state1[i] + adam_params.one_minus_beta2 * g * g;
  state0[i] = m;
  state1[i] = v;
  param[i] = theta - lr * c * m / (sqrt(v) + adam_params.epsilon);
}
