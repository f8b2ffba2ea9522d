// Batch normalization in training mode, forward and backward. x is viewed as (N, C, S) with S
// the product of the dimensions after C; a channel's M = N·S values are x[(n·C + c)·S + s].
// Four entry points (each binds only its own variables; bindings of different entry points
// may share a number):
//
// stats — one workgroup (WG invocations, a power of two) per channel; invocation t handles
//   the channel's values i = t, t + WG, … (i = n·S + s). Two passes, each reduced across the
//   workgroup with a shared-memory tree: the sum (→ mean μ), then Σ(x − μ)² (→ the biased
//   variance σ²; two passes rather than E[x²] − μ², which cancels catastrophically). Invocation 0
//   writes mean and invStd = 1/√(σ² + ε) and updates the running statistics in place:
//   running_mean ← (1 − m)·running_mean + m·μ, running_var ← (1 − m)·running_var + m·σ²·M/(M − 1).
// apply — y = act(γ(x − μ)·invStd + β); one invocation computes 4 consecutive outputs (one
//   vec4, each lane finds its own channel; buffers are padded to 16 bytes so the tail vec4 stays
//   in bounds), one workgroup 4·WG.
// backward_reduce — one workgroup per channel, as stats: dβ = Σ dy and dγ = Σ dy·x̂ with
//   x̂ = (x − μ)·invStd, reduced together as a vec2.
// backward_dx — dx = γ·invStd/M·(M·dy − dβ − x̂·dγ), 4 outputs per invocation as apply.
// Channels (stats, backward_reduce) and the elementwise problem may be folded into y: the
// linear workgroup id is wid.x + wid.y·nwg.x. Requires the activation and index preludes.

override WG: u32 = 256u;

// Uniforms: BatchNormTrainParams, generated from BN_TRAIN_PARAMS in
// src/backends/webgpu/kernels/batchnorm.ts.
@group(0) @binding(0) var<uniform> params: BatchNormTrainParams;

// Index of value i = n·S + s of channel c.
fn value_index(c: u32, i: u32) -> u32 {
  let n = i / params.spatial;
  let s = i - n * params.spatial;
  return (n * params.channels + c) * params.spatial + s;
}

fn channel_of(e: u32) -> u32 {
  return (e / params.spatial) % params.channels;
}

// ---- stats --------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> x: array<f32>;                    // (N, C, S)
@group(0) @binding(2) var<storage, read_write> mean_out: array<f32>;       // (C)
@group(0) @binding(3) var<storage, read_write> inv_std_out: array<f32>;    // (C)
@group(0) @binding(4) var<storage, read_write> running_mean: array<f32>;   // (C), in place
@group(0) @binding(5) var<storage, read_write> running_var: array<f32>;    // (C), in place

var<workgroup> red: array<f32, WG>;

fn reduce_sum(t: u32, v: f32) -> f32 {
  red[t] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) { red[t] += red[t + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();  // everyone has read red[0] before it is reused
  return total;
}

@compute @workgroup_size(WG)
fn stats(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // Uniform across the workgroup, so the barriers below stay in uniform control flow.
  let c = linear_workgroup_id(wid, nwg);
  if (c >= params.channels) { return; }
  let t = lid.x;
  let m = f32(params.count);

  var sum = 0.0;
  for (var i = t; i < params.count; i += WG) { sum += x[value_index(c, i)]; }
  let mu = reduce_sum(t, sum) / m;

  var sq = 0.0;
  for (var i = t; i < params.count; i += WG) {
    let d = x[value_index(c, i)] - mu;
    sq += d * d;
  }
  let variance = reduce_sum(t, sq) / m;

  if (t == 0u) {
    mean_out[c] = mu;
    inv_std_out[c] = 1.0 / sqrt(variance + params.epsilon);
    let k = params.momentum;
    running_mean[c] = (1.0 - k) * running_mean[c] + k * mu;
    running_var[c] = (1.0 - k) * running_var[c] + k * variance * params.unbias;
  }
}

// ---- apply --------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;           // (N, C, S)
@group(0) @binding(2) var<storage, read> mean_in: array<f32>;            // (C)
@group(0) @binding(3) var<storage, read> inv_std_in: array<f32>;         // (C)
@group(0) @binding(4) var<storage, read> gamma: array<f32>;              // (C)
@group(0) @binding(5) var<storage, read> beta: array<f32>;               // (C)
@group(0) @binding(6) var<storage, read_write> y4: array<vec4<f32>>;     // (N, C, S)

fn apply_one(v: f32, c: u32) -> f32 {
  return activate(gamma[c] * (v - mean_in[c]) * inv_std_in[c] + beta[c]);
}

@compute @workgroup_size(WG)
fn apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count4) { return; }
  // Lanes past the end read and write the buffers' padding: harmless.
  let v = x4[i];
  let e = 4u * i;
  y4[i] = vec4<f32>(
    apply_one(v.x, channel_of(e)),
    apply_one(v.y, channel_of(e + 1u)),
    apply_one(v.z, channel_of(e + 2u)),
    apply_one(v.w, channel_of(e + 3u)),
  );
}

// ---- backward_reduce ------------------------------------------------------------------------

// binding 1: x, 2: mean_in, 3: inv_std_in (declared above)
@group(0) @binding(4) var<storage, read> dy: array<f32>;                   // (N, C, S)
@group(0) @binding(5) var<storage, read_write> dgamma_out: array<f32>;     // (C)
@group(0) @binding(6) var<storage, read_write> dbeta_out: array<f32>;      // (C)

var<workgroup> red2: array<vec2<f32>, WG>;

@compute @workgroup_size(WG)
fn backward_reduce(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = linear_workgroup_id(wid, nwg);
  if (c >= params.channels) { return; }
  let t = lid.x;
  let mu = mean_in[c];
  let inv = inv_std_in[c];

  // (Σ dy, Σ dy·x̂)
  var acc = vec2<f32>(0.0);
  for (var i = t; i < params.count; i += WG) {
    let k = value_index(c, i);
    let g = dy[k];
    acc += vec2<f32>(g, g * (x[k] - mu) * inv);
  }
  red2[t] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) { red2[t] += red2[t + s]; }
    workgroupBarrier();
  }
  if (t == 0u) {
    dbeta_out[c] = red2[0].x;
    dgamma_out[c] = red2[0].y;
  }
}

// ---- backward_dx ------------------------------------------------------------------------------

// binding 1: x4, 2: mean_in, 3: inv_std_in (declared above)
@group(0) @binding(4) var<storage, read> dy4: array<vec4<f32>>;           // (N, C, S)
@group(0) @binding(5) var<storage, read> gamma_in: array<f32>;            // (C)
@group(0) @binding(6) var<storage, read> dgamma_in: array<f32>;           // (C)
@group(0) @binding(7) var<storage, read> dbeta_in: array<f32>;            // (C)
@group(0) @binding(8) var<storage, read_write> dx4: array<vec4<f32>>;     // (N, C, S)

fn dx_one(v: f32, g: f32, c: u32) -> f32 {
  let inv = inv_std_in[c];
  let m = f32(params.count);
  let xhat = (v - mean_in[c]) * inv;
  return gamma_in[c] * inv / m * (m * g - dbeta_in[c] - xhat * dgamma_in[c]);
}

@compute @workgroup_size(WG)
fn backward_dx(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count4) { return; }
  let v = x4[i];
  let g = dy4[i];
  let e = 4u * i;
  dx4[i] = vec4<f32>(
    dx_one(v.x, g.x, channel_of(e)),
    dx_one(v.y, g.y, channel_of(e + 1u)),
    dx_one(v.z, g.z, channel_of(e + 2u)),
    dx_one(v.w, g.w, channel_of(e + 3u)),
  );
}
