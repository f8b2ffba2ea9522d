// Backward of the pooling kernels over (N, C, H, W) inputs, written as gathers (no atomics,
// no races): every dx element is computed by exactly one invocation, which loops over the
// outputs whose windows contain it. Five entry points sharing one uniform struct:
//
// - `pool2d_backward`: one invocation computes one dx value; one workgroup WG consecutive
//   values of (N, C, H, W). The output windows containing input row iy are
//   oy = ceil((iy + pad_top - kh + 1) / sh) .. floor((iy + pad_top) / sh), clipped to
//   [0, Ho); columns likewise. Max recomputes each window's argmax from x (the FIRST maximum
//   in scan order among the real cells, the CPU twin's tie rule) and takes dy if it is this
//   cell; avg adds dy / divisor with the forward's divisor rule (COUNT_PAD).
// - `global_pool_backward`: one workgroup handles one (n, c) plane. Max: a shared-memory tree
//   reduction of (value, index) pairs finds the first maximum (ties go to the smaller index);
//   then every invocation writes a strided slice of the plane's dx (dy at the argmax, 0
//   elsewhere). Avg: each invocation writes dy / (H·W) to its slice. WG is a power of two.
// - `adaptive_avg_pool_backward`: one invocation computes one dx value. Input row iy lies in
//   the bins of outputs floor(iy·Ho/H) .. ceil((iy+1)·Ho/H) - 1 (bins may overlap), columns
//   likewise; it adds dy / (bin size) of each. x is bound but not read.
// - `subsample_backward_dx`: one invocation computes one dx value, coeff[c] times the sum of
//   dy over the (unpadded) windows containing it; cells no window covers get 0.
// - `subsample_backward_params`: one workgroup reduces one channel c over N·Ho·Wo outputs:
//   dcoeff[c] = Σ dy·(Σ window of x), dbias[c] = Σ dy. Each invocation folds a strided slice,
//   then a shared-memory tree reduction (WG a power of two).
//
// 1-D problems may be folded into y when they exceed maxComputeWorkgroupsPerDimension: the
// linear workgroup id is wid.x + wid.y * nwg.x. Requires the index and pooling window preludes.
// Every pooling window covers at least one real input cell (inferPool2d limits padding to half
// the window), so a divisor is never 0 and a window's argmax starts from its first real cell.

// Invocations per workgroup (a power of two for the reductions). POOL_MAX and COUNT_PAD: the
// pooling window prelude (shaders/pool_window.wgsl), as in the forward.
override WG: u32 = 256u;

// Uniforms: PoolParams, generated from POOL_PARAMS in src/backends/webgpu/kernels/pool.ts
// (shared by pool.wgsl and pool_backward.wgsl; an entry point reads only the fields it needs).
@group(0) @binding(0) var<uniform> params: PoolParams;
// pool2d_backward, global_pool_backward, adaptive_avg_pool_backward: uniform, x, dy, dx.
@group(0) @binding(1) var<storage, read> x: array<f32>;            // (N, C, H, W)
@group(0) @binding(2) var<storage, read> dy: array<f32>;           // (N, C, Ho, Wo) or (N, C, 1, 1)
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;     // (N, C, H, W)
// subsample_backward_dx: uniform, coeff, dy, dx.
@group(0) @binding(1) var<storage, read> coeff: array<f32>;        // (C)
// subsample_backward_params: uniform, x, dy, dcoeff, dbias.
@group(0) @binding(3) var<storage, read_write> dcoeff: array<f32>; // (C)
@group(0) @binding(4) var<storage, read_write> dbias: array<f32>;  // (C)

var<workgroup> partial: array<f32, WG>;
var<workgroup> partial_b: array<f32, WG>;
var<workgroup> partial_i: array<u32, WG>;

// The outputs [lo, hi] along one axis (empty when hi < lo) whose windows contain input
// coordinate i: window o covers o·s - pad .. o·s - pad + k - 1, so
// ceil((i + pad - k + 1) / s) <= o <= floor((i + pad) / s), clipped to [0, n_out).
fn window_range(i: u32, k: u32, s: u32, pad: u32, n_out: u32) -> vec2<i32> {
  let last = i32(i + pad);
  let first = last - i32(k) + 1;
  let lo = select(0, (first + i32(s) - 1) / i32(s), first > 0);
  let hi = min(last / i32(s), i32(n_out) - 1);
  return vec2<i32>(lo, hi);
}

@compute @workgroup_size(WG)
fn pool2d_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count) { return; }
  let p = plane_pos(i, params.h, params.w);
  let rows = window_range(p.y, params.kh, params.sh, params.pad_top, params.ho);
  let cols = window_range(p.x, params.kw, params.sw, params.pad_left, params.wo);
  let base = p.plane * params.h * params.w;
  let out_base = p.plane * params.ho * params.wo;
  var acc = 0.0;
  for (var oy = rows.x; oy <= rows.y; oy++) {
    let r = window_span(u32(oy), params.sh, params.pad_top, params.kh, params.h);
    let h0 = u32(r.z);
    let h1 = u32(r.w);
    for (var ox = cols.x; ox <= cols.y; ox++) {
      let c = window_span(u32(ox), params.sw, params.pad_left, params.kw, params.w);
      let w0 = u32(c.z);
      let w1 = u32(c.w);
      let d = dy[out_base + u32(oy) * params.wo + u32(ox)];
      if (POOL_MAX == 1u) {
        // The window's first maximum in scan order (strictly greater replaces).
        var arg = base + h0 * params.w + w0;
        var best = x[arg];
        for (var iy = h0; iy < h1; iy++) {
          let row = base + iy * params.w;
          for (var ix = w0; ix < w1; ix++) {
            let v = x[row + ix];
            if (v > best) { best = v; arg = row + ix; }
          }
        }
        if (arg == i) { acc += d; }
      } else {
        acc += d / avg_divisor(r, c);
      }
    }
  }
  dx[i] = acc;
}

@compute @workgroup_size(WG)
fn global_pool_backward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  // Uniform per workgroup, so the early return keeps the barriers below in uniform control flow.
  let plane = linear_workgroup_id(wid, nwg);
  if (plane >= params.count) { return; }
  let n = params.h * params.w;
  let base = plane * n;
  let d = dy[plane];
  if (POOL_MAX == 0u) {
    for (var j = lid; j < n; j += WG) { dx[base + j] = d / f32(n); }
    return;
  }
  // Each invocation's first maximum over its slice; invocations past the end of a small plane
  // start from the plane's first cell, which can only win a tie at the smallest index anyway.
  var best = x[base];
  var arg = 0u;
  for (var j = lid; j < n; j += WG) {
    let v = x[base + j];
    if (v > best || (v == best && j < arg)) { best = v; arg = j; }
  }
  partial[lid] = best;
  partial_i[lid] = arg;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let v = partial[lid + s];
      let a = partial_i[lid + s];
      if (v > partial[lid] || (v == partial[lid] && a < partial_i[lid])) {
        partial[lid] = v;
        partial_i[lid] = a;
      }
    }
    workgroupBarrier();
  }
  let winner = partial_i[0];
  for (var j = lid; j < n; j += WG) { dx[base + j] = select(0.0, d, j == winner); }
}

@compute @workgroup_size(WG)
fn adaptive_avg_pool_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count) { return; }
  let p = plane_pos(i, params.h, params.w);
  // Bin oy holds rows floor(oy·H/Ho) .. ceil((oy+1)·H/Ho) - 1; it contains iy exactly for
  // floor(iy·Ho/H) <= oy <= ceil((iy+1)·Ho/H) - 1 (always within [0, Ho)).
  let oys = adaptive_bin(p.y, params.ho, params.h);
  let oxs = adaptive_bin(p.x, params.wo, params.w);
  let out_base = p.plane * params.ho * params.wo;
  var acc = 0.0;
  for (var oy = oys.x; oy < oys.y; oy++) {
    let rows = adaptive_bin(oy, params.h, params.ho);
    let bh = rows.y - rows.x;
    for (var ox = oxs.x; ox < oxs.y; ox++) {
      let cols = adaptive_bin(ox, params.w, params.wo);
      let bw = cols.y - cols.x;
      acc += dy[out_base + oy * params.wo + ox] / f32(bh * bw);
    }
  }
  dx[i] = acc;
}

@compute @workgroup_size(WG)
fn subsample_backward_dx(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count) { return; }
  let p = plane_pos(i, params.h, params.w);
  let rows = window_range(p.y, params.kh, params.sh, 0u, params.ho);
  let cols = window_range(p.x, params.kw, params.sw, 0u, params.wo);
  let out_base = p.plane * params.ho * params.wo;
  var acc = 0.0;
  for (var oy = rows.x; oy <= rows.y; oy++) {
    for (var ox = cols.x; ox <= cols.y; ox++) { acc += dy[out_base + u32(oy) * params.wo + u32(ox)]; }
  }
  dx[i] = coeff[p.plane % params.channels] * acc;
}

@compute @workgroup_size(WG)
fn subsample_backward_params(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  // Uniform per workgroup, so the early return keeps the barriers below in uniform control flow.
  let c = linear_workgroup_id(wid, nwg);
  if (c >= params.count) { return; }
  let per_plane = params.ho * params.wo;
  var acc_c = 0.0;
  var acc_b = 0.0;
  for (var j = lid; j < params.batch * per_plane; j += WG) {
    let n = j / per_plane;
    let r = j % per_plane;
    let oy = r / params.wo;
    let ox = r % params.wo;
    let plane = n * params.channels + c;
    let d = dy[plane * per_plane + r];
    let start = plane * params.h * params.w + oy * params.sh * params.w + ox * params.sw;
    var sum = 0.0;
    for (var ky = 0u; ky < params.kh; ky++) {
      let row = start + ky * params.w;
      for (var kx = 0u; kx < params.kw; kx++) { sum += x[row + kx]; }
    }
    acc_c += d * sum;
    acc_b += d;
  }
  partial[lid] = acc_c;
  partial_b[lid] = acc_b;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      partial[lid] += partial[lid + s];
      partial_b[lid] += partial_b[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    dcoeff[c] = partial[0];
    dbias[c] = partial_b[0];
  }
}
