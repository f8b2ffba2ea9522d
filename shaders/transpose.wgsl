// transpose: out[i] = x[src(i)] for any permutation of up to 8 axes. The output index is split
// into coordinates by the output's row-major strides, and each coordinate steps the input by
// the stride of the input axis it came from (`in_strides`, already permuted on the host).
// One invocation computes one output element; one workgroup computes WG consecutive elements.
// The 1-D problem may be folded into y (see `linear_invocation_id`). Requires the index prelude
// and TransposeParams, generated from TRANSPOSE_PARAMS in src/backends/webgpu/kernels/transpose.ts.

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> params: TransposeParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count) { return; }
  var rem = i;
  var src = 0u;
  for (var d = 0u; d < params.rank; d++) {
    let os = dim_at(params.out_strides, d);
    let c = rem / os;
    rem -= c * os;
    src += c * dim_at(params.in_strides, d);
  }
  out[i] = x[src];
}
