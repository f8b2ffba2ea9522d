// max_pool_indices: the flat input index of each max of a max pooling (ONNX MaxPool's Indices).
// One invocation computes one output index by scanning its window row by row over the real
// input cells (padded cells are skipped); one workgroup computes WG consecutive outputs of the
// (N, C, Ho, Wo) output. The first cell holding the max wins; a NaN wins over any number.
// The index is plane·H·W + row·W + column, or with COLUMN_MAJOR plane·H·W + row + column·H,
// written as f32 (the host refuses inputs above 2^24 elements, where f32 stops being exact).
// 1-D problems may be folded into y (see `linear_invocation_id`). Requires the index prelude
// and PoolParams, generated from POOL_PARAMS in src/backends/webgpu/kernels/pool.ts.

override WG: u32 = 256u;
// ONNX storage_order: 0 row-major, 1 column-major within each plane.
override COLUMN_MAJOR: u32 = 0u;

@group(0) @binding(0) var<uniform> params: PoolParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;        // (N, C, H, W)
@group(0) @binding(2) var<storage, read_write> out: array<f32>; // (N, C, Ho, Wo)

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count) { return; }
  let p = plane_pos(i, params.ho, params.wo);
  let hs = i32(p.y * params.sh) - i32(params.pad_top);
  let ws = i32(p.x * params.sw) - i32(params.pad_left);
  let base = p.plane * params.h * params.w;
  var best = 0.0;
  var at = 0u;
  var found = false;
  for (var ky = 0u; ky < params.kh; ky++) {
    let iy = hs + i32(ky * params.dh);
    if (iy < 0 || iy >= i32(params.h)) { continue; }
    for (var kx = 0u; kx < params.kw; kx++) {
      let ix = ws + i32(kx * params.dw);
      if (ix < 0 || ix >= i32(params.w)) { continue; }
      let v = x[base + u32(iy) * params.w + u32(ix)];
      if (!found || (!is_nan(best) && (v > best || is_nan(v)))) {
        best = v;
        at = select(u32(iy) * params.w + u32(ix), u32(iy) + u32(ix) * params.h, COLUMN_MAJOR == 1u);
        found = true;
      }
    }
  }
  // inferPool2d refuses windows with no real cell, so `found` is always set.
  out[i] = f32(base + at);
}
