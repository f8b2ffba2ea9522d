// Pooling kernels over (N, C, H, W) inputs, four entry points sharing one uniform struct:
//
// - `pool2d`: max or average pooling. One invocation computes one output value by looping
//   over its window (clipped to the real input: padded cells never win a max and, without
//   COUNT_PAD, are not counted); one workgroup computes WG consecutive outputs of the
//   (N, C, Ho, Wo) output. Bandwidth-bound, so no tiling. A dilated window (dh or dw > 1)
//   steps over cells and tests each against the input's bounds.
// - `subsample`: LeNet-5's trainable subsampling, y = activate(coeff[c] · Σ window + bias[c]),
//   windows without padding. Same mapping as `pool2d`. Needs the activation prelude.
// - `adaptive_avg_pool`: PyTorch's AdaptiveAvgPool2d to a fixed Ho×Wo. One invocation computes
//   one output value, the mean of its bin: rows floor(oy·H/Ho) .. ceil((oy+1)·H/Ho) - 1, columns
//   likewise (bins may overlap; with Ho > H rows are replicated). Same mapping as `pool2d`;
//   reads count, h, w, ho and wo only.
// - `global_pool`: one workgroup reduces one (n, c) plane of H·W values. Each invocation folds
//   a strided slice of the plane, then a shared-memory tree reduction combines the WG partial
//   results (WG must be a power of two).
// - `global_pool_thread`: for small planes (EfficientNet's 7×7 with over a thousand channels),
//   one invocation reduces one plane in order, WG planes to a workgroup: no barriers, and no
//   workgroup of mostly idle invocations per plane.
//
// 1-D problems may be folded into y when they exceed maxComputeWorkgroupsPerDimension: the
// linear workgroup id is wid.x + wid.y * nwg.x. Requires the index and pooling window preludes.
//
// Every pooling window covers at least one real input cell (inferPool2d keeps padding smaller
// than the window), so a max starts from the window's first real cell and needs no -inf constant,
// and the avg divisor is never 0. Max pooling propagates a NaN of its window (`max_nan`, from the
// IEEE prelude that the activation prelude brings), as the CPU reference does.

// Invocations per workgroup (a power of two for `global_pool`). POOL_MAX and COUNT_PAD: the
// pooling window prelude (shaders/pool_window.wgsl).
override WG: u32 = 256u;

// Uniforms: PoolParams, generated from POOL_PARAMS in src/backends/webgpu/kernels/pool.ts
// (shared by pool.wgsl and pool_backward.wgsl; an entry point reads only the fields it needs).
@group(0) @binding(0) var<uniform> params: PoolParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;            // (N, C, H, W)
// pool2d, adaptive_avg_pool and global_pool: uniform, x, y.
@group(0) @binding(2) var<storage, read_write> y: array<f32>;      // (N, C, Ho, Wo) or (N, C, 1, 1)
// subsample: uniform, x, coeff, bias, y_sub (a different entry point may reuse binding 2).
@group(0) @binding(2) var<storage, read> coeff: array<f32>;        // (C)
@group(0) @binding(3) var<storage, read> bias: array<f32>;         // (C)
@group(0) @binding(4) var<storage, read_write> y_sub: array<f32>;  // (N, C, Ho, Wo)

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn pool2d(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count) { return; }
  let p = plane_pos(i, params.ho, params.wo);
  if (params.dh != 1u || params.dw != 1u) {
    y[i] = dilated_window(p);
    return;
  }
  let r = window_span(p.y, params.sh, params.pad_top, params.kh, params.h);
  let c = window_span(p.x, params.sw, params.pad_left, params.kw, params.w);
  // The window clipped to the real input.
  let h0 = u32(r.z);
  let w0 = u32(c.z);
  let h1 = u32(r.w);
  let w1 = u32(c.w);
  let base = p.plane * params.h * params.w;
  if (POOL_MAX == 1u) {
    var best = x[base + h0 * params.w + w0];
    for (var iy = h0; iy < h1; iy++) {
      let row = base + iy * params.w;
      for (var ix = w0; ix < w1; ix++) { best = max_nan(best, x[row + ix]); }
    }
    y[i] = best;
  } else {
    var sum = 0.0;
    for (var iy = h0; iy < h1; iy++) {
      let row = base + iy * params.w;
      for (var ix = w0; ix < w1; ix++) { sum += x[row + ix]; }
    }
    y[i] = sum / avg_divisor(r, c);
  }
}

// pool2d of a dilated window: cell (ky, kx) is input row oy·sh − pad_top + ky·dh, column likewise.
// inferPool2d refuses windows with no real cell, so `found` is always set.
fn dilated_window(p: PlanePos) -> f32 {
  let hs = i32(p.y * params.sh) - i32(params.pad_top);
  let ws = i32(p.x * params.sw) - i32(params.pad_left);
  let base = p.plane * params.h * params.w;
  var best = 0.0;
  var found = false;
  var sum = 0.0;
  var real = 0u;
  var rows_padded = 0u;
  var cols_padded = 0u;
  for (var ky = 0u; ky < params.kh; ky++) {
    let iy = hs + i32(ky * params.dh);
    if (iy < i32(params.h + params.pad_bottom)) { rows_padded++; }
    if (iy < 0 || iy >= i32(params.h)) { continue; }
    for (var kx = 0u; kx < params.kw; kx++) {
      let ix = ws + i32(kx * params.dw);
      if (ix < 0 || ix >= i32(params.w)) { continue; }
      let v = x[base + u32(iy) * params.w + u32(ix)];
      best = select(max_nan(best, v), v, !found);
      found = true;
      sum += v;
      real++;
    }
  }
  for (var kx = 0u; kx < params.kw; kx++) {
    if (ws + i32(kx * params.dw) < i32(params.w + params.pad_right)) { cols_padded++; }
  }
  if (POOL_MAX == 1u) { return best; }
  return sum / f32(select(real, rows_padded * cols_padded, COUNT_PAD == 1u));
}

@compute @workgroup_size(WG)
fn subsample(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count) { return; }
  let p = plane_pos(i, params.ho, params.wo);
  let c = p.plane % params.channels;
  let base = p.plane * params.h * params.w + p.y * params.sh * params.w + p.x * params.sw;
  var sum = 0.0;
  for (var ky = 0u; ky < params.kh; ky++) {
    let row = base + ky * params.w;
    for (var kx = 0u; kx < params.kw; kx++) { sum += x[row + kx]; }
  }
  y_sub[i] = activate(coeff[c] * sum + bias[c]);
}

@compute @workgroup_size(WG)
fn adaptive_avg_pool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count) { return; }
  let p = plane_pos(i, params.ho, params.wo);
  // The bin [h0, h1) × [w0, w1): never empty since H, W >= 1.
  let rows = adaptive_bin(p.y, params.h, params.ho);
  let cols = adaptive_bin(p.x, params.w, params.wo);
  let h0 = rows.x;
  let h1 = rows.y;
  let w0 = cols.x;
  let w1 = cols.y;
  let base = p.plane * params.h * params.w;
  var sum = 0.0;
  for (var iy = h0; iy < h1; iy++) {
    let row = base + iy * params.w;
    for (var ix = w0; ix < w1; ix++) { sum += x[row + ix]; }
  }
  y[i] = sum / f32((h1 - h0) * (w1 - w0));
}

@compute @workgroup_size(WG)
fn global_pool(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  // Uniform per workgroup, so the early return keeps the barriers below in uniform control flow.
  let plane = linear_workgroup_id(wid, nwg);
  if (plane >= params.count) { return; }
  let n = params.h * params.w;
  let base = plane * n;
  // Invocations past the end of a small plane start from the plane's first value: neutral for max.
  var acc = select(0.0, x[base], POOL_MAX == 1u);
  for (var j = lid; j < n; j += WG) {
    let v = x[base + j];
    if (POOL_MAX == 1u) { acc = max_nan(acc, v); } else { acc += v; }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      if (POOL_MAX == 1u) {
        partial[lid] = max_nan(partial[lid], partial[lid + s]);
      } else {
        partial[lid] += partial[lid + s];
      }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    y[plane] = select(partial[0] / f32(n), partial[0], POOL_MAX == 1u);
  }
}

@compute @workgroup_size(WG)
fn global_pool_thread(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let plane = linear_invocation_id(gid, nwg);
  if (plane >= params.count) { return; }
  let n = params.h * params.w;
  let base = plane * n;
  var acc = x[base];
  for (var j = 1u; j < n; j++) {
    let v = x[base + j];
    if (POOL_MAX == 1u) { acc = max(acc, v); } else { acc += v; }
  }
  y[plane] = select(acc / f32(n), acc, POOL_MAX == 1u);
}
