// Numerically stable softmax along one axis. x is viewed as (outer, axis_len, inner); a row is
// the axis_len values x[o, :, i], at base + j·inner with base = o·axis_len·inner + i.
// One workgroup (WG invocations, a power of two) computes one row; one invocation handles
// the row's elements j = lid, lid + WG, lid + 2·WG, ... in three passes: the row max and the
// sum of exp(x − max), each reduced across the workgroup with a shared-memory tree, then the
// writes exp(x − max) / sum, or with LOG = 1 log-softmax's (x − max) − log(sum). Rows may be
// folded into y: the row is wid.x + wid.y · nwg.x.

override WG: u32 = 256u;
override LOG: u32 = 0u;

// Uniforms: SoftmaxParams, generated from SOFTMAX_PARAMS in src/backends/webgpu/kernels/matmul.ts.
// A NaN in a row makes the row max, and so the whole row, NaN (`max_nan`), as on the CPU; so
// does +Inf (Inf − Inf; `exp_nan` keeps that NaN, which exp alone may not).
// Requires the index and IEEE preludes (shaders/index.wgsl, shaders/ieee.wgsl).
@group(0) @binding(0) var<uniform> params: SoftmaxParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // Uniform across the workgroup (depends on the workgroup id only), so the barriers below stay in uniform control flow.
  let row = linear_workgroup_id(wid, nwg);
  if (row >= params.rows) { return; }
  let inner = params.inner;
  let base = (row / inner) * params.axis_len * inner + row % inner;
  let t = lid.x;

  var m = -f32_inf();
  for (var j = t; j < params.axis_len; j += WG) { m = max_nan(m, x[base + j * inner]); }
  red[t] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) { red[t] = max_nan(red[t], red[t + s]); }
    workgroupBarrier();
  }
  let row_max = red[0];
  workgroupBarrier();  // everyone has read red[0] before it is reused

  var sum = 0.0;
  for (var j = t; j < params.axis_len; j += WG) { sum += exp_nan(x[base + j * inner] - row_max); }
  red[t] = sum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) { red[t] += red[t + s]; }
    workgroupBarrier();
  }
  let inv = 1.0 / red[0];
  let log_sum = log_nan(red[0]);  // sum >= 1: its largest term is exp(0)

  for (var j = t; j < params.axis_len; j += WG) {
    let i = base + j * inner;
    if (LOG == 1u) { y[i] = (x[i] - row_max) - log_sum; } else { y[i] = exp_nan(x[i] - row_max) * inv; }
  }
}
