// resample: a separable sparse linear map over up to 8 consecutive axes (resize, pad and their
// gradients; see src/ops/resample.ts). The input is seen as (outer, mapped axes…, inner). Each
// mapped axis d has a map in compressed rows in `table`: output coordinate o reads entries
// k in [offsets[o], offsets[o + 1]), each an input coordinate `index[k]` and a weight
// `weight[k]` (stored as f32 bits). An output element sums, over every combination of one entry
// per mapped axis, the product of their weights times the input element they address; it is
// `fill` when some axis has no entry. No atomics: the gradient runs this kernel over the
// transposed maps.
// One invocation computes one output element; one workgroup computes WG consecutive elements.
// The 1-D problem may be folded into y (see `linear_invocation_id`). Requires the index prelude
// and ResampleParams, generated from RESAMPLE_PARAMS in src/backends/webgpu/kernels/resample.ts.

override WG: u32 = 256u;

@group(0) @binding(0) var<uniform> params: ResampleParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> table: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count) { return; }
  let k = params.axes;
  // Split i into (outer, o_0 … o_{k-1}, inner) and find each axis's row of entries.
  var rem = i / params.inner;
  var lo: array<u32, 8>;
  var hi: array<u32, 8>;
  var at: array<u32, 8>;
  var empty = false;
  for (var d = i32(k) - 1; d >= 0; d--) {
    let size = dim_at(params.out_sizes, u32(d));
    let o = rem % size;
    rem /= size;
    let row = dim_at(params.offsets_at, u32(d)) + o;
    lo[d] = table[row];
    hi[d] = table[row + 1u];
    at[d] = lo[d];
    empty = empty || lo[d] == hi[d];
  }
  if (empty) {
    out[i] = params.fill;
    return;
  }
  let base = rem * params.in_block + i % params.inner;
  var acc = 0.0;
  loop {
    var w = 1.0;
    var src = base;
    for (var d = 0u; d < k; d++) {
      let e = at[d];
      w *= bitcast<f32>(table[dim_at(params.weights_at, d) + e]);
      src += table[dim_at(params.index_at, d) + e] * dim_at(params.in_strides, d);
    }
    acc += w * x[src];
    // The next combination of entries, last axis fastest.
    var d = i32(k) - 1;
    for (; d >= 0; d--) {
      at[d]++;
      if (at[d] < hi[d]) { break; }
      at[d] = lo[d];
    }
    if (d < 0) { break; }
  }
  out[i] = acc;
}
