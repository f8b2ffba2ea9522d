// The gradient of a reduction (shaders/reduce.wgsl, same layout and ReduceParams): dx of every
// element reduced into output o, from x, the forward's output y[o] and dy[o].
// One workgroup (WG invocations, a power of two) handles one output: for max/min it first
// counts the elements equal to y[o] (dy is shared equally among ties), for prod the zeros and
// the product of the non-zero elements (so the product of the others is exact with zeros);
// each count is a shared-memory tree reduction. Then invocation t writes dx for elements
// r = t, t + WG, … . Every element of x belongs to exactly one output, so dx is written in full.
// KIND as in reduce.wgsl. Outputs may be folded into y. Requires the index prelude and
// shaders/reduce_index.wgsl.

override WG: u32 = 64u;
override KIND: u32 = 0u;

@group(0) @binding(0) var<uniform> params: ReduceParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

var<workgroup> red: array<f32, WG>;

// The workgroup's sum (or product, with `mul`) of `v`; every invocation gets it.
fn workgroup_fold(v: f32, t: u32, mul: bool) -> f32 {
  red[t] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) { red[t] = select(red[t] + red[t + s], red[t] * red[t + s], mul); }
    workgroupBarrier();
  }
  let result = red[0];
  workgroupBarrier();
  return result;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // Uniform across the workgroup, so the barriers in `workgroup_fold` stay in uniform control flow.
  let o = linear_workgroup_id(wid, nwg);
  if (o >= params.outputs) { return; }
  let base = base_of(o);
  let t = lid.x;
  let yo = y[o];
  let g = dy[o];
  var ties = 1.0;
  var zeros = 0.0;
  var nonzero_prod = 1.0;
  if (KIND == 2u || KIND == 3u) {
    var c = 0.0;
    for (var r = t; r < params.count; r += WG) { c += select(0.0, 1.0, x[base + offset_of(r)] == yo); }
    ties = workgroup_fold(c, t, false);
  } else if (KIND == 4u) {
    var z = 0.0;
    var p = 1.0;
    for (var r = t; r < params.count; r += WG) {
      let e = x[base + offset_of(r)];
      if (e == 0.0) { z += 1.0; } else { p *= e; }
    }
    zeros = workgroup_fold(z, t, false);
    nonzero_prod = workgroup_fold(p, t, true);
  }
  for (var r = t; r < params.count; r += WG) {
    let i = base + offset_of(r);
    let e = x[i];
    var d: f32;
    switch KIND {
      case 1u: { d = g / f32(params.count); }
      case 2u, 3u: { d = select(0.0, g / ties, e == yo); }
      case 4u: {
        if (zeros == 0.0) { d = g * nonzero_prod / e; }
        else if (zeros == 1.0 && e == 0.0) { d = g * nonzero_prod; }
        else { d = 0.0; }
      }
      case 5u: { d = g * sign(e); }
      case 6u: { d = select(0.0, g * e / yo, yo > 0.0); }
      case 7u: { d = 2.0 * g * e; }
      case 8u: { d = g * exp(-yo); }
      case 9u: { d = g * exp(e - yo); }
      default: { d = g; }
    }
    dx[i] = d;
  }
}
