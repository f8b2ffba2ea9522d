// Layer / group / instance normalization, backward (layout as in shaders/norm.wgsl: rows of
// row_len contiguous elements, scale index ((r % groups) · row_len + j) / spatial). `stats`
// holds each row's [mean, invStd] (norm.wgsl's `stats`); x̂ = (x − mean) · invStd.
//
// `grad_input`: one workgroup (WG invocations, a power of two) per row. With ĝ = dy · scale,
// invocation t sums ĝ and ĝ · x̂ over elements j = t, t + WG, …, the workgroup reduces both
// with a shared-memory tree, then dx = invStd · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)).
// `grad_params`: one workgroup per scale index p, over the outer · spatial elements that use
// it (element s of the channel in sample o: k = p · spatial + s in the sample's groups · row_len
// block, row o · groups + k / row_len); writes Σ dy · x̂ to out[p] and Σ dy to out[params + p].
// Rows (or scale indices) may be folded into y. Requires the index prelude and NormParams.

override WG: u32 = 64u;

@group(0) @binding(0) var<uniform> params: NormParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

// `grad_params` bindings: uniform, x, stats, dy, out.
@group(0) @binding(2) var<storage, read> p_stats: array<f32>;
@group(0) @binding(3) var<storage, read> p_dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> p_out: array<f32>;

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
  workgroupBarrier();
  return result;
}

@compute @workgroup_size(WG)
fn grad_input(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linear_workgroup_id(wid, nwg);
  if (row >= params.rows) { return; }
  let t = lid.x;
  let mean = stats[2u * row];
  let inv = stats[2u * row + 1u];
  let at = row * params.row_len;
  let first = (row % params.groups) * params.row_len;
  var sg = 0.0;
  var sgx = 0.0;
  for (var j = t; j < params.row_len; j += WG) {
    let g = dy[at + j] * scale[(first + j) / params.spatial];
    sg += g;
    sgx += g * (x[at + j] - mean) * inv;
  }
  let n = f32(params.row_len);
  let mg = workgroup_sum(sg, t) / n;
  let mgx = workgroup_sum(sgx, t) / n;
  for (var j = t; j < params.row_len; j += WG) {
    let g = dy[at + j] * scale[(first + j) / params.spatial];
    let xh = (x[at + j] - mean) * inv;
    dx[at + j] = inv * (g - mg - xh * mgx);
  }
}

@compute @workgroup_size(WG)
fn grad_params(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = linear_workgroup_id(wid, nwg);
  if (p >= params.params) { return; }
  let t = lid.x;
  let block = params.groups * params.row_len;
  var sw = 0.0;
  var sb = 0.0;
  for (var e = t; e < params.outer * params.spatial; e += WG) {
    let o = e / params.spatial;
    let k = p * params.spatial + e % params.spatial;
    let row = o * params.groups + k / params.row_len;
    let i = o * block + k;
    let d = p_dy[i];
    sw += d * (x[i] - p_stats[2u * row]) * p_stats[2u * row + 1u];
    sb += d;
  }
  let dw = workgroup_sum(sw, t);
  let db = workgroup_sum(sb, t);
  if (t == 0u) {
    p_out[p] = dw;
    p_out[params.params + p] = db;
  }
}
