// Local response normalization across channels (PyTorch/ONNX convention):
//   y[n,c,p] = x[n,c,p] / (k + alpha/size · Σ_{c'} x[n,c',p]²)^beta,
//   c' from c - before to c + after, clipped to [0, C).
// One invocation computes one output value, reading its window of channels at the same
// spatial position p; one workgroup computes WG consecutive outputs of (N, C, P), P = H·W.
// Bandwidth-bound (the window is a handful of channels), so no tiling. The 1-D problem may be
// folded into y: the linear workgroup id is wid.x + wid.y * nwg.x.
// k > 0 and alpha >= 0 (checked by inferLrn), so the base of pow() is always positive.

override WG: u32 = 256u;

struct Params {
  count: u32,
  channels: u32,
  plane: u32,
  before: u32,
  after: u32,
  alpha_over_size: f32,
  beta: f32,
  k: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;        // (N, C, P)
@group(0) @binding(2) var<storage, read_write> y: array<f32>;  // (N, C, P)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count) { return; }
  let p = i % params.plane;
  let t = i / params.plane;
  let c = t % params.channels;
  let n = t / params.channels;
  let lo = u32(max(i32(c) - i32(params.before), 0));
  let hi = min(c + params.after, params.channels - 1u);
  var sq = 0.0;
  for (var cc = lo; cc <= hi; cc++) {
    let v = x[(n * params.channels + cc) * params.plane + p];
    sq += v * v;
  }
  y[i] = x[i] / pow(params.k + params.alpha_over_size * sq, params.beta);
}
