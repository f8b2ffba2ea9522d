// Reductions over any set of axes. x is seen as (kept axes) × (reduced axes): output o reads
// x[base(o) + offset(r)] for r over the `count` reduced elements, where base(o) splits o by the
// kept axes' sizes and offset(r) splits r by the reduced axes' sizes, each coordinate stepping
// x by that axis's stride (ReduceParams, from REDUCE_PARAMS in src/backends/webgpu/kernels/reduce.ts).
//
// `main`: one workgroup (WG invocations, a power of two) computes one output; invocation t
// folds elements r = t, t + WG, … and the workgroup combines the partial results with a
// shared-memory tree. KIND selects the reduction (REDUCE_KINDS in src/ops/reduce.ts):
// 0 sum, 1 mean, 2 max, 3 min, 4 prod, 5 l1, 6 l2, 7 sumSquare, 8 logSum, 9 logSumExp (a max
// pass, then the sum of exp(v − max)).
// `arg_main`: the same layout with one reduced axis; the workgroup reduces (value, index)
// pairs to the index of the max (ARG_MAX = 1) or min, the first on ties or the last when
// SELECT_LAST = 1, written as a float.
// A NaN among the reduced elements is the max and the min (`max_nan`, `min_nan`), and argmax and
// argmin pick the first NaN (the last with SELECT_LAST), as NumPy and PyTorch do.
// Outputs may be folded into y: the output is wid.x + wid.y · nwg.x. Requires the index and IEEE
// preludes and shaders/reduce_index.wgsl (base_of, offset_of).

override WG: u32 = 64u;
override KIND: u32 = 0u;
override ARG_MAX: u32 = 1u;
override SELECT_LAST: u32 = 0u;

@group(0) @binding(0) var<uniform> params: ReduceParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> red: array<f32, WG>;
var<workgroup> red_index: array<u32, WG>;

// How partial results combine: Σ, max, min, Π.
const ADD: u32 = 0u;
const MAX: u32 = 1u;
const MIN: u32 = 2u;
const MUL: u32 = 3u;

fn identity(op: u32) -> f32 {
  switch op {
    case MAX: { return -f32_inf(); }
    case MIN: { return f32_inf(); }
    case MUL: { return 1.0; }
    default: { return 0.0; }
  }
}

fn combine(op: u32, a: f32, b: f32) -> f32 {
  switch op {
    case MAX: { return max_nan(a, b); }
    case MIN: { return min_nan(a, b); }
    case MUL: { return a * b; }
    default: { return a + b; }
  }
}

// What each element contributes to the fold (`shift` is logSumExp's max). `raw` folds the
// elements themselves: logSumExp's max pass, which must not see exp(v − shift).
fn lift(v: f32, shift: f32, raw: bool) -> f32 {
  if (raw) { return v; }
  switch KIND {
    case 5u: { return abs(v); }
    case 6u, 7u: { return v * v; }
    case 9u: { return exp_nan(v - shift); }
    default: { return v; }
  }
}

// Folds this invocation's elements of the output at `base`, then the workgroup's partials; every invocation gets the result.
fn fold(op: u32, base: u32, t: u32, shift: f32, raw: bool) -> f32 {
  var acc = identity(op);
  for (var r = t; r < params.count; r += WG) { acc = combine(op, acc, lift(x[base + offset_of(r)], shift, raw)); }
  red[t] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) { red[t] = combine(op, red[t], red[t + s]); }
    workgroupBarrier();
  }
  let result = red[0];
  workgroupBarrier();  // everyone has read red[0] before it is reused
  return result;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // Uniform across the workgroup, so the barriers in `fold` stay in uniform control flow.
  let o = linear_workgroup_id(wid, nwg);
  if (o >= params.outputs) { return; }
  let base = base_of(o);
  let t = lid.x;
  var result: f32;
  switch KIND {
    case 2u: { result = fold(MAX, base, t, 0.0, true); }
    case 3u: { result = fold(MIN, base, t, 0.0, true); }
    case 4u: { result = fold(MUL, base, t, 0.0, true); }
    case 9u: {
      // Stable: max + log Σ exp(v − max), the max taken over the elements themselves.
      let m = fold(MAX, base, t, 0.0, true);
      result = m + log_nan(fold(ADD, base, t, m, false));
    }
    default: {
      let s = fold(ADD, base, t, 0.0, false);
      switch KIND {
        case 1u: { result = s / f32(params.count); }
        case 6u: { result = sqrt(s); }
        case 8u: { result = log(s); }
        default: { result = s; }
      }
    }
  }
  if (t == 0u) { y[o] = result; }
}

// Whether (v, i) is preferred to (w, j). A NaN beats any number; between two NaNs, as for ties.
fn better(v: f32, i: u32, w: f32, j: u32) -> bool {
  let v_nan = is_nan_bits(v);
  let w_nan = is_nan_bits(w);
  if (v_nan != w_nan) { return v_nan; }
  if (!v_nan && v != w) { return select((v < w), (v > w), ARG_MAX == 1u); }
  return select((i < j), (i > j), SELECT_LAST == 1u);
}

@compute @workgroup_size(WG)
fn arg_main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = linear_workgroup_id(wid, nwg);
  if (o >= params.outputs) { return; }
  let base = base_of(o);
  let t = lid.x;
  // Invocations past the axis start from the last element: a real candidate, so the result is one.
  var bi = min(t, params.count - 1u);
  var bv = x[base + offset_of(bi)];
  for (var r = t + WG; r < params.count; r += WG) {
    let v = x[base + offset_of(r)];
    if (better(v, r, bv, bi)) { bv = v; bi = r; }
  }
  red[t] = bv;
  red_index[t] = bi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s && better(red[t + s], red_index[t + s], red[t], red_index[t])) {
      red[t] = red[t + s];
      red_index[t] = red_index[t + s];
    }
    workgroupBarrier();
  }
  if (t == 0u) { y[o] = f32(red_index[0]); }
}
