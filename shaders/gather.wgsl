// Gather along one axis and its gradient. The data is viewed as (outer, axis_len, inner), the
// indices as a list of `count` float-coded integers (negative ones count from the end; one
// outside the axis reads 0), the gathered values as (outer, count, inner). Entry points:
//
// gather — out[o, j, k] = data[o, idx[j], k].
// gather_grad — out[o, v, k] = Σ_j [idx[j] = v] dy[o, j, k]: the scatter-add written as a gather,
//   each output element looping over the indices, so sums are deterministic (no atomics).
//
// One invocation computes one output element; one workgroup computes WG consecutive elements.
// The 1-D problem may be folded into y (see `linear_invocation_id`). Requires the index prelude
// and GatherParams, generated from GATHER_PARAMS in src/backends/webgpu/kernels/gather.ts.

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> params: GatherParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;        // gather: data; gather_grad: dy
@group(0) @binding(2) var<storage, read> indices: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// The axis entry indices[j] stands for, or -1 outside the axis.
fn index_at(j: u32) -> i32 {
  let len = i32(params.axis_len);
  let v = i32(round(indices[j]));
  let k = select(v, v + len, v < 0);
  return select(-1, k, k >= 0 && k < len);
}

@compute @workgroup_size(WG)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.out_count) { return; }
  let k = i % params.inner;
  let j = (i / params.inner) % params.count;
  let o = i / (params.inner * params.count);
  let v = index_at(j);
  out[i] = select(0.0, x[(o * params.axis_len + u32(max(v, 0))) * params.inner + k], v >= 0);
}

@compute @workgroup_size(WG)
fn gather_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.out_count) { return; }
  let k = i % params.inner;
  let v = i32((i / params.inner) % params.axis_len);
  let o = i / (params.inner * params.axis_len);
  var s = 0.0;
  for (var j = 0u; j < params.count; j++) {
    if (index_at(j) == v) { s += x[(o * params.count + j) * params.inner + k]; }
  }
  out[i] = s;
}
