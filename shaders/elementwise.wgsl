// Elementwise kernels: activations and broadcasting binary ops (add, mul).
// One invocation computes one output element; one workgroup computes WG consecutive elements.
// The 1-D problem may be folded into y when it exceeds maxComputeWorkgroupsPerDimension:
// the linear workgroup id is wid.x + wid.y * nwg.x. Requires the activation prelude.

override WG: u32 = 256u;
// Binary op: 0 add, 1 mul.
override OP: u32 = 0u;
// 1 when both inputs have the output's shape: no index arithmetic.
override SAME_SHAPE: u32 = 0u;

struct Params {
  count: u32,
  rank: u32,
  _pad0: u32,
  _pad1: u32,
  // Row-major strides of the output and of each input (0 on broadcast dimensions), rank <= 8.
  out_strides: array<vec4<u32>, 2>,
  a_strides: array<vec4<u32>, 2>,
  b_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn linear_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn stride_at(s: array<vec4<u32>, 2>, d: u32) -> u32 {
  return s[d / 4u][d % 4u];
}

@compute @workgroup_size(WG)
fn binary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_id(gid, nwg);
  if (i >= params.count) { return; }
  var ia = i;
  var ib = i;
  if (SAME_SHAPE == 0u) {
    ia = 0u;
    ib = 0u;
    var rem = i;
    for (var d = 0u; d < params.rank; d++) {
      let os = stride_at(params.out_strides, d);
      let c = rem / os;
      rem -= c * os;
      ia += c * stride_at(params.a_strides, d);
      ib += c * stride_at(params.b_strides, d);
    }
  }
  var v: f32;
  if (OP == 1u) { v = a[ia] * b[ib]; } else { v = a[ia] + b[ib]; }
  out[i] = activate(v);
}
