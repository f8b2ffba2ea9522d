// The second dispatch of a split-K GEMM (conv2d's `gemm`, matmul's `tiled`; see
// src/backends/webgpu/kernels/split_k.ts). The first wrote `splits` partial sums of every
// output value, each over one chunk of K, laid out as (splits, total) with each chunk in the
// output's own layout. One invocation computes one output value: the sum of its partials in
// split order (deterministic), plus bias and the fused activation — the epilogue the GEMM
// skips when it writes partials. One workgroup computes WG consecutive values (1-D, folded
// into y when large). The bias index of value i is (i / bias_inner) % bias_outer: conv2d's
// channel (inner Ho·Wo, outer Cout), matmul's column (inner 1, outer N).
//
// Requires the activation and index preludes.

override WG: u32 = 64u;
// 1 when the bias binding holds a bias (otherwise it aliases the partials and is not read).
override HAS_BIAS: u32 = 0u;

// Uniforms: SplitSumParams, generated from SPLIT_SUM_PARAMS in src/backends/webgpu/kernels/split_k.ts.
@group(0) @binding(0) var<uniform> p: SplitSumParams;
@group(0) @binding(1) var<storage, read> partials: array<f32>;  // (splits, total)
@group(0) @binding(2) var<storage, read> bias: array<f32>;      // (bias_outer), if HAS_BIAS
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // (total)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= p.total) { return; }
  var s = 0.0;
  for (var k = 0u; k < p.splits; k++) { s += partials[k * p.total + i]; }
  if (HAS_BIAS == 1u) { s += bias[(i / p.bias_inner) % p.bias_outer]; }
  out[i] = activate(s);
}
