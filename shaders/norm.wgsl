// Layer / group / instance normalization, forward (src/ops/norm.ts). x is seen as
// (outer, groups, row_len): row r is the row_len contiguous elements from r · row_len, and is
// normalized by its own mean and biased variance. Element j of row r takes scale and bias
// index ((r % groups) · row_len + j) / spatial (per element for layer norm, spatial = 1; per
// channel for group and instance norm, spatial = the channel's H·W·…).
//
// `main`: one workgroup (WG invocations, a power of two) normalizes one row in three passes over
// it, invocation t taking elements j = t, t + WG, …: the sum (→ mean) and the sum of squared
// deviations (→ variance), each reduced across the workgroup with a shared-memory tree, then
// the writes y = (x − mean) · invStd · scale + bias. One dispatch, statistics in the kernel.
// `stats`: the same two reductions, writing the row's [mean, invStd] (for the backward), or
// with STAT = 1 only the mean, with STAT = 2 only invStd, at out[row].
// Rows may be folded into y: the row is wid.x + wid.y · nwg.x. Requires the index prelude and
// NormParams, generated from NORM_PARAMS in src/backends/webgpu/kernels/norm.ts.

override WG: u32 = 64u;
override STAT: u32 = 0u;

@group(0) @binding(0) var<uniform> params: NormParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

// `stats` writes [mean, invStd] per row to binding 2 instead (bindings: uniform, x, stats).
@group(0) @binding(2) var<storage, read_write> stats_out: array<f32>;

var<workgroup> red: array<f32, WG>;

// The workgroup's sum of `v`; every invocation gets it.
fn workgroup_sum(v: f32, t: u32) -> f32 {
  red[t] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) { red[t] += red[t + s]; }
    workgroupBarrier();
  }
  let result = red[0];
  workgroupBarrier();  // everyone has read red[0] before it is reused
  return result;
}

// Mean and 1/√(var + ε) of row `row` (two passes: the mean, then the squared deviations from it).
fn row_stats(row: u32, t: u32) -> vec2<f32> {
  let at = row * params.row_len;
  var s = 0.0;
  for (var j = t; j < params.row_len; j += WG) { s += x[at + j]; }
  let mean = workgroup_sum(s, t) / f32(params.row_len);
  var v = 0.0;
  for (var j = t; j < params.row_len; j += WG) {
    let d = x[at + j] - mean;
    v += d * d;
  }
  let variance = workgroup_sum(v, t) / f32(params.row_len);
  return vec2<f32>(mean, inverseSqrt(variance + params.epsilon));
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // Uniform across the workgroup, so the barriers in `row_stats` stay in uniform control flow.
  let row = linear_workgroup_id(wid, nwg);
  if (row >= params.rows) { return; }
  let t = lid.x;
  let st = row_stats(row, t);
  let at = row * params.row_len;
  let first = (row % params.groups) * params.row_len;
  for (var j = t; j < params.row_len; j += WG) {
    let p = (first + j) / params.spatial;
    y[at + j] = (x[at + j] - st.x) * st.y * scale[p] + bias[p];
  }
}

@compute @workgroup_size(WG)
fn stats(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linear_workgroup_id(wid, nwg);
  if (row >= params.rows) { return; }
  let st = row_stats(row, lid.x);
  if (lid.x == 0u) {
    switch STAT {
      case 1u: { stats_out[row] = st.x; }
      case 2u: { stats_out[row] = st.y; }
      default: {
        stats_out[2u * row] = st.x;
        stats_out[2u * row + 1u] = st.y;
      }
    }
  }
}
