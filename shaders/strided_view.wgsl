// Strided views, up to 8 axes. Entry points:
//
// view — out[c] = x[(start + step·c) mod in_dims] per axis: a slice (inside x), a tile (wrapping
//   around x) or a broadcast (an axis of size 1). The output index splits into coordinates c by
//   the output's row-major strides; each coordinate maps to x's and steps x by its stride.
// scatter — the inverse of a view that stays inside its input: out (the input's shape) is dy's
//   element c at start + step·c and 0 elsewhere. Each output coordinate p is on the lattice when
//   (p − start) is a multiple of step and the quotient is a coordinate of dy (in_dims).
//
// One invocation computes one output element; one workgroup computes WG consecutive elements
// (a gather both ways: no atomics, no races). The 1-D problem may be folded into y (see
// `linear_invocation_id`). Requires the index prelude and StridedViewParams, generated from
// STRIDED_VIEW_PARAMS in src/backends/webgpu/kernels/strided_view.ts.

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> params: StridedViewParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

fn signed_at(a: array<vec4<i32>, 2>, d: u32) -> i32 {
  return a[d / 4u][d % 4u];
}

@compute @workgroup_size(WG)
fn view(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count) { return; }
  var rem = i;
  var src = 0u;
  for (var d = 0u; d < params.rank; d++) {
    let os = dim_at(params.out_strides, d);
    let c = rem / os;
    rem -= c * os;
    let n = i32(dim_at(params.in_dims, d));
    let at = (signed_at(params.start, d) + signed_at(params.step, d) * i32(c)) % n;
    src += u32(select(at, at + n, at < 0)) * dim_at(params.in_strides, d);
  }
  out[i] = x[src];
}

@compute @workgroup_size(WG)
fn scatter(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count) { return; }
  var rem = i;
  var src = 0u;
  var hit = true;
  for (var d = 0u; d < params.rank; d++) {
    let os = dim_at(params.out_strides, d);
    let p = rem / os;
    rem -= p * os;
    let s = signed_at(params.step, d);
    let t = i32(p) - signed_at(params.start, d);
    let c = t / s;
    hit = hit && t % s == 0 && c >= 0 && c < i32(dim_at(params.in_dims, d));
    src += u32(max(c, 0)) * dim_at(params.in_strides, d);
  }
  out[i] = select(0.0, x[min(src, arrayLength(&x) - 1u)], hit);
}
