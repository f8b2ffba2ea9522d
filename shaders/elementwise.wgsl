// Broadcasting binary ops (add, mul, sub, div, pow, max, min, mod, comparisons, logic) with a
// fused activation. OP selects the op; the `case` arms of `binary_op` are generated from the
// table in src/ops/binary.ts (`BINARY_OPS`, also the CPU reference) and replace the
// BINARY_CASES line below.
// One invocation computes one output element; one workgroup computes WG consecutive elements.
// The 1-D problem may be folded into y when it exceeds maxComputeWorkgroupsPerDimension:
// the linear workgroup id is wid.x + wid.y * nwg.x. Requires the activation and index preludes.

override WG: u32 = 256u;
// Binary op: BINARY_OPS' code (0 add, 1 mul, …).
override OP: u32 = 0u;
// 1 when both inputs have the output's shape: no index arithmetic.
override SAME_SHAPE: u32 = 0u;

// Uniforms: BinaryParams, generated from BINARY_PARAMS in src/backends/webgpu/kernels/elementwise.ts.
@group(0) @binding(0) var<uniform> params: BinaryParams;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn binary_op(a: f32, b: f32) -> f32 {
  switch OP {
//#BINARY_CASES
    default: { return a + b; }
  }
}

@compute @workgroup_size(WG)
fn binary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count) { return; }
  var ia = i;
  var ib = i;
  if (SAME_SHAPE == 0u) {
    ia = 0u;
    ib = 0u;
    var rem = i;
    for (var d = 0u; d < params.rank; d++) {
      let os = dim_at(params.out_strides, d);
      let c = rem / os;
      rem -= c * os;
      ia += c * dim_at(params.a_strides, d);
      ib += c * dim_at(params.b_strides, d);
    }
  }
  out[i] = activate(binary_op(a[ia], b[ib]));
}
