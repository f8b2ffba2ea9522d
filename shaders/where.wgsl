// where: out = cond != 0 ? a : b, the three broadcast together (NumPy's rule, up to 8 axes).
// The output index is split into coordinates by the output's row-major strides; each input
// steps by its own strides (0 on broadcast dimensions).
// One invocation computes one output element; one workgroup computes WG consecutive elements.
// The 1-D problem may be folded into y (see `linear_invocation_id`). Requires the index prelude
// and WhereParams, generated from WHERE_PARAMS in src/backends/webgpu/kernels/elementwise.ts.

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> params: WhereParams;
@group(0) @binding(1) var<storage, read> cond: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count) { return; }
  var ic = 0u;
  var ia = 0u;
  var ib = 0u;
  var rem = i;
  for (var d = 0u; d < params.rank; d++) {
    let os = dim_at(params.out_strides, d);
    let c = rem / os;
    rem -= c * os;
    ic += c * dim_at(params.c_strides, d);
    ia += c * dim_at(params.a_strides, d);
    ib += c * dim_at(params.b_strides, d);
  }
  out[i] = select(b[ib], a[ia], cond[ic] != 0.0);
}
