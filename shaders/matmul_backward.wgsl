// Reductions of the dense/RBF backward, each written as a gather: one invocation computes one
// output element by looping over everything that contributed to it (no atomics, no races,
// deterministic). One workgroup is WG invocations along x; the output index may be folded
// into y: the linear workgroup id is wid.x + wid.y · nwg.x.
//
// Entry `sum_axis`: x viewed as (outer, len, inner); out[o, i] = Σ_j x[o, j, i]. A column sum
// (outer = 1: dense's db = Σ_n dy) or a row sum (inner = 1).
//
// Entries `rbf_dx` and `rbf_dcenters`, the backward of LeNet-5's RBF layer
// y[n, k] = Σ_f (x[n, f] − c[k, f])², with x (N, F), centers (K, F), dy (N, K):
//   rbf_dx:       dx[n, f] =  Σ_k 2·(x[n, f] − c[k, f])·dy[n, k]   (loops over the K classes)
//   rbf_dcenters: dc[k, f] = −Σ_n 2·(x[n, f] − c[k, f])·dy[n, k]   (loops over the N samples)
// The differences are formed directly rather than through the matmul expansion
// x·Σ_k dy − dy·C, which would cancel when x is close to the centers.
// Requires the index prelude.

override WG: u32 = 64u;

// Uniforms: SumAxisParams and RbfParams, generated from SUM_AXIS_PARAMS and RBF_PARAMS in
// src/backends/webgpu/kernels/matmul_backward.ts. Each entry point uses one of the two
// parameter blocks and its own bindings.
@group(0) @binding(0) var<uniform> sum_params: SumAxisParams;
@group(0) @binding(1) var<storage, read> sum_in: array<f32>;             // (outer, len, inner)
@group(0) @binding(2) var<storage, read_write> sum_out: array<f32>;      // (outer, inner)

@group(0) @binding(0) var<uniform> rbf: RbfParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;                  // (N, F)
@group(0) @binding(2) var<storage, read> centers: array<f32>;            // (K, F)
@group(0) @binding(3) var<storage, read> dy: array<f32>;                 // (N, K)
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;         // dx (N, F) or dc (K, F)

@compute @workgroup_size(WG)
fn sum_axis(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = linear_invocation_id(gid, nwg);
  if (idx >= sum_params.count) { return; }
  let inner = sum_params.inner;
  let base = (idx / inner) * sum_params.len * inner + idx % inner;
  var acc = 0.0;
  for (var j = 0u; j < sum_params.len; j++) { acc += sum_in[base + j * inner]; }
  sum_out[idx] = acc;
}

@compute @workgroup_size(WG)
fn rbf_dx(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = linear_invocation_id(gid, nwg);
  if (idx >= rbf.n * rbf.f) { return; }
  let n = idx / rbf.f;
  let f = idx % rbf.f;
  let xv = x[idx];
  var acc = 0.0;
  for (var k = 0u; k < rbf.k; k++) { acc += (xv - centers[k * rbf.f + f]) * dy[n * rbf.k + k]; }
  grad[idx] = 2.0 * acc;
}

@compute @workgroup_size(WG)
fn rbf_dcenters(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = linear_invocation_id(gid, nwg);
  if (idx >= rbf.k * rbf.f) { return; }
  let k = idx / rbf.f;
  let f = idx % rbf.f;
  let cv = centers[idx];
  var acc = 0.0;
  for (var n = 0u; n < rbf.n; n++) { acc += (x[n * rbf.f + f] - cv) * dy[n * rbf.k + k]; }
  grad[idx] = -2.0 * acc;
}
