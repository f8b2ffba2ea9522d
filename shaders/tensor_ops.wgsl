// Gradient plumbing: sumTo (the backward of a broadcasting add), slice (the backward of
// concat) and accumulate (gradient accumulation, in place). Entry points:
//
// sum_to_thread — one invocation computes one output value by looping over the `reduced` x
//   values that broadcast from it (a gather: no atomics, no races); one workgroup WG outputs.
//   For small reductions.
// sum_to_workgroup — one workgroup computes one output value: invocation t sums the reduced
//   values r = t, t + WG, …, then a shared-memory tree reduces the WG partial sums. For large
//   reductions (a bias gradient summing N·H·W values per channel).
//   Both see x (rank ≤ 8) through its kept dimensions (the target shape padded to x's rank,
//   x's size where kept and 1 where reduced) and its reduced dimensions (the reverse): an
//   output index and a reduction index each decompose into per-dimension coordinates
//   (row-major over those shapes), and x's offset is Σ coordinate·x_stride.
// slice — one invocation copies one output value, one workgroup WG consecutive values: x
//   viewed as (outer, axis_len, inner), the output as (outer, size, inner) with
//   out[o, k, r] = x[o, start + k, r].
// accumulate — acc += x: one invocation adds one vec4 (buffers are padded to 16 bytes), one
//   workgroup WG consecutive vec4s.
// 1-D problems may be folded into y: the linear id is gid.x + gid.y·nwg.x·WG (per invocation)
// or wid.x + wid.y·nwg.x (per workgroup). Requires the index prelude.
//
// Uniforms: SumToParams, SliceParams and AccumulateParams, generated from SUM_TO_PARAMS,
// SLICE_PARAMS and ACCUMULATE_PARAMS in src/backends/webgpu/kernels/tensor_ops.ts; each entry
// point binds one of them.

override WG: u32 = 256u;

// ---- sum_to ---------------------------------------------------------------------------------

@group(0) @binding(0) var<uniform> sp: SumToParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;            // any shape, rank ≤ 8
@group(0) @binding(2) var<storage, read_write> out: array<f32>;    // the target shape

var<workgroup> red: array<f32, WG>;

// x's offset of the output value o (its reduced coordinates all 0).
fn kept_offset(o: u32) -> u32 {
  var off = 0u;
  for (var d = 0u; d < sp.rank; d++) {
    off += ((o / dim_at(sp.kept_strides, d)) % dim_at(sp.kept_dims, d)) * dim_at(sp.x_strides, d);
  }
  return off;
}

// x's offset of reduction index r relative to its output value's.
fn reduced_offset(r: u32) -> u32 {
  var off = 0u;
  for (var d = 0u; d < sp.rank; d++) {
    off += ((r / dim_at(sp.reduced_strides, d)) % dim_at(sp.reduced_dims, d)) * dim_at(sp.x_strides, d);
  }
  return off;
}

@compute @workgroup_size(WG)
fn sum_to_thread(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = linear_invocation_id(gid, nwg);
  if (o >= sp.out_count) { return; }
  let base = kept_offset(o);
  var s = 0.0;
  for (var r = 0u; r < sp.reduced; r++) { s += x[base + reduced_offset(r)]; }
  out[o] = s;
}

@compute @workgroup_size(WG)
fn sum_to_workgroup(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // Uniform across the workgroup, so the barriers below stay in uniform control flow.
  let o = linear_workgroup_id(wid, nwg);
  if (o >= sp.out_count) { return; }
  let t = lid.x;
  let base = kept_offset(o);
  var s = 0.0;
  for (var r = t; r < sp.reduced; r += WG) { s += x[base + reduced_offset(r)]; }
  red[t] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (t < k) { red[t] += red[t + k]; }
    workgroupBarrier();
  }
  if (t == 0u) { out[o] = red[0]; }
}

// ---- slice --------------------------------------------------------------------------------

@group(0) @binding(0) var<uniform> slp: SliceParams;
// binding 1: x, binding 2: out (declared above)

@compute @workgroup_size(WG)
fn slice(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= slp.count) { return; }
  let o = i / slp.out_block;
  let rest = i - o * slp.out_block;
  out[i] = x[o * slp.in_block + slp.offset + rest];
}

// ---- accumulate -------------------------------------------------------------------------------

@group(0) @binding(0) var<uniform> ap: AccumulateParams;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;            // acc's shape
@group(0) @binding(2) var<storage, read_write> acc4: array<vec4<f32>>;    // in place

@compute @workgroup_size(WG)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= ap.count4) { return; }
  acc4[i] = acc4[i] + x4[i];
}
