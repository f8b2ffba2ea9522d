// GatherElements (torch.gather) and its gradient, up to 8 axes. The indices have the data's
// rank; each is a float-coded entry of axis `axis` (negative ones count from the end; one
// outside the axis reads 0). Entry points:
//
// gather_elements — out (the indices' shape): out[c] = data[c with c[axis] = idx[c]]. The
//   output index splits into coordinates by the indices' strides; the data offset steps by the
//   data's strides.
// gather_elements_grad — out (the data's shape): out[p] = Σ_j [idx[q_j] = p[axis]] dy[q_j] over the
//   indices' coordinates q_j = p with q_j[axis] = j (a gather: no atomics, deterministic); 0
//   where p lies outside the indices' extent on another axis.
//
// One invocation computes one output element; one workgroup computes WG consecutive elements.
// The 1-D problem may be folded into y (see `linear_invocation_id`). Requires the index prelude
// and GatherElementsParams, generated from GATHER_ELEMENTS_PARAMS in
// src/backends/webgpu/kernels/gather.ts.

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> params: GatherElementsParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;        // gather_elements: data; gather_elements_grad: dy
@group(0) @binding(2) var<storage, read> indices: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// The axis entry indices[k] stands for, or -1 outside the axis.
fn entry_at(k: u32) -> i32 {
  let len = i32(params.axis_len);
  let v = i32(round(indices[k]));
  let e = select(v, v + len, v < 0);
  return select(-1, e, e >= 0 && e < len);
}

@compute @workgroup_size(WG)
fn gather_elements(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count) { return; }
  let e = entry_at(i);
  var rem = i;
  var src = 0u;
  for (var d = 0u; d < params.rank; d++) {
    let s = dim_at(params.idx_strides, d);
    let c = rem / s;
    rem -= c * s;
    src += select(c, u32(max(e, 0)), d == params.axis) * dim_at(params.data_strides, d);
  }
  out[i] = select(0.0, x[src], e >= 0);
}

@compute @workgroup_size(WG)
fn gather_elements_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count) { return; }
  var rem = i;
  var base = 0u;
  var wanted = 0;
  var inside = true;
  for (var d = 0u; d < params.rank; d++) {
    let s = dim_at(params.data_strides, d);
    let p = rem / s;
    rem -= p * s;
    if (d == params.axis) {
      wanted = i32(p);
    } else {
      inside = inside && p < dim_at(params.idx_dims, d);
      base += p * dim_at(params.idx_strides, d);
    }
  }
  var sum = 0.0;
  if (inside) {
    let step = dim_at(params.idx_strides, params.axis);
    for (var j = 0u; j < dim_at(params.idx_dims, params.axis); j++) {
      let k = base + j * step;
      if (entry_at(k) == wanted) { sum += x[k]; }
    }
  }
  out[i] = sum;
}
