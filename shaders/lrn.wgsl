// Local response normalization across channels (PyTorch/ONNX convention), forward and backward.
// x is viewed as (N, C, P), P = H·W. With the window of channel c clipped to [0, C),
//   D_c = k + alpha/size · Σ_{c' = c - before .. c + after} x_c'²,   y_c = x_c · D_c^(-beta).
// Channel j lies in the windows of c = j - after .. j + before, so
//   dx_j = dy_j · D_j^(-beta) - 2·(alpha/size)·beta · x_j · Σ_{c ∋ j} dy_c · x_c · D_c^(-beta-1).
//
// `lrn` — one invocation computes one output value y[n, c, p], reading its window of channels
// at the same spatial position p; one workgroup computes WG consecutive outputs of (N, C, P).
// `lrn_backward` — a gather: one invocation computes one dx value at (n, j, p), recomputing D_c
// for each of the (at most size) channels whose window holds j, each from its own window of x at
// the same position p; one workgroup computes WG consecutive values of (N, C, P). O(size²) loads
// per value, a few dozen for AlexNet's size 5.
// Bandwidth-bound (the windows are a handful of channels), so no tiling or shared memory. The
// 1-D problems may be folded into y: the linear workgroup id is wid.x + wid.y * nwg.x.
// k > 0 and alpha >= 0 (checked by inferLrn), so the base of pow() is always positive.
// Requires the index prelude.

override WG: u32 = 256u;

// Uniforms: LrnParams, generated from LRN_PARAMS in src/backends/webgpu/kernels/lrn.ts.
@group(0) @binding(0) var<uniform> params: LrnParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;          // (N, C, P)
// lrn: uniform, x, y.
@group(0) @binding(2) var<storage, read_write> y: array<f32>;    // (N, C, P)
// lrn_backward: uniform, x, dy, dx (a different entry point may reuse binding 2).
@group(0) @binding(2) var<storage, read> dy: array<f32>;         // (N, C, P)
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;   // (N, C, P)

// D_c at batch n, position p.
fn denom(n: u32, c: u32, p: u32) -> f32 {
  let lo = u32(max(i32(c) - i32(params.before), 0));
  let hi = min(c + params.after, params.channels - 1u);
  var sq = 0.0;
  for (var cc = lo; cc <= hi; cc++) {
    let v = x[(n * params.channels + cc) * params.plane + p];
    sq += v * v;
  }
  return params.k + params.alpha_over_size * sq;
}

@compute @workgroup_size(WG)
fn lrn(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count) { return; }
  let p = i % params.plane;
  let t = i / params.plane;
  y[i] = x[i] / pow(denom(t / params.channels, t % params.channels, p), params.beta);
}

@compute @workgroup_size(WG)
fn lrn_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count) { return; }
  let p = i % params.plane;
  let t = i / params.plane;
  let j = t % params.channels;
  let n = t / params.channels;
  let lo = u32(max(i32(j) - i32(params.after), 0));
  let hi = min(j + params.before, params.channels - 1u);
  var cross = 0.0;
  for (var c = lo; c <= hi; c++) {
    let o = (n * params.channels + c) * params.plane + p;
    cross += dy[o] * x[o] * pow(denom(n, c, p), -params.beta - 1.0);
  }
  dx[i] = dy[i] * pow(denom(n, j, p), -params.beta) - 2.0 * params.alpha_over_size * params.beta * x[i] * cross;
}
