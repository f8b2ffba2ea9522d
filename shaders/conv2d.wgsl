// 2-D convolution, NCHW. Three entry points over the same bindings and uniforms.
//
// `gemm` — implicit GEMM. Per group g (workgroup_id.z), the convolution is the product
//   out[m, n] = Σ_k  A[m, k] · B[k, n]
// with M = Cout/groups (output channels of the group), N = batch·Ho·Wo (output pixels) and
// K = (C/groups)·kH·kW. A is the group's weights, read in place: w (Cout, C/groups, kH, kW) is
// row-major M×K. B is the im2col matrix of x, never stored: B[k, n] is computed on the fly as
// x[b, g·C/groups + ci, oy·sH - padTop + ky·dH, ox·sW - padLeft + kx·dW] (0 outside the input).
// One workgroup of WG_X×WG_Y invocations computes a TM×TN tile of out, TM = 4·WG_Y channels by
// TN = 4·WG_X pixels (the tile shapes are CONV2D_TUNING in src/backends/webgpu/tuning.ts, the
// rule that picks one selectConv2dTile in kernels/conv2d.ts). For each K-slice of TK it stages
// an A tile (TM×TK) and a B tile (TK×TN) in workgroup memory as vec4 columns, barriers, and
// invocation (tx, ty) accumulates the 4×4 block of channels 4·ty .. 4·ty+3 × pixels
// 4·tx .. 4·tx+3 in four vec4 registers (one per channel): each step is two vec4 reads from workgroup memory and four vec4 FMAs. The block is
// written out as named vec4s, not as loops over a register array, so it needs no dynamic
// indexing and compiles to straight-line code. Invocation (tx, ty) also stages exactly its own
// 4 pixel columns of B (rows ty, ty + WG_Y, ...; their coordinates decoded once) and its own
// 4 channel rows of A (columns tx, tx + WG_X, ...: consecutive invocations read consecutive
// weights). A K row of the A tile is A_ROW4 vec4s, WG_Y rounded up to odd, so those stores
// (consecutive invocations, consecutive K rows) fall in different banks rather than 4·WG_Y
// words apart in one. Bias and the fused activation are applied at the store.
//
// Split-K (splits > 1, PARTIAL = 1; kernels/split_k.ts): the workgroups of split s reduce only
// K values s·k_chunk .. (s+1)·k_chunk - 1 and write their raw sums to out[s·total + i] (out
// is then the (splits, N·Cout·Ho·Wo) partials); shaders/split_sum.wgsl adds them and applies
// bias and activation. The grid (tiles of M × tiles of N × splits) may be folded into y: the
// linear workgroup id wid.x + wid.y · nwg.x is tile + tiles · s.
//
// `depthwise` — groups = C (each output channel reads one input channel; Cout = C·multiplier),
// where K = kH·kW is too short for a GEMM. One invocation computes 4 neighbouring outputs of
// one row, (img, co, oy, 4q .. 4q+3), reading the input window directly into a vec4
// accumulator; one workgroup computes WG consecutive such quads (1-D over N·Cout·Ho·⌈Wo/4⌉,
// folded into y when large).
//
// `direct` — the naive reference kernel (debug.forceNaive): one invocation computes one output
// value with a plain loop over its window; one workgroup computes WG consecutive outputs (1-D,
// folded into y when large).
//
// Requires the activation, index and direct-convolution preludes.

// Tiling of `gemm` (see CONV2D_TUNING in src/backends/webgpu/tuning.ts); the register block is fixed at 4×4.
override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
override TK: u32 = 16u;
// Workgroup size of `depthwise` and `direct`.
override WG: u32 = 64u;
// 1 when the bias binding holds a bias (otherwise it aliases the weights and is not read).
override HAS_BIAS: u32 = 0u;
// 1 when `gemm` writes split-K partial sums (no epilogue), 0 when it writes the output.
override PARTIAL: u32 = 0u;

// Tiles in workgroup memory, in vec4 columns: A_ROW4 ≥ TM / 4 = WG_Y (odd: see above) and
// TN / 4 = WG_X per K row.
override A_ROW4: u32 = WG_Y | 1u;
override A_TILE4: u32 = TK * A_ROW4;
override B_TILE4: u32 = TK * WG_X;

// Uniforms: Conv2dParams, generated from CONV2D_PARAMS in src/backends/webgpu/kernels/conv2d.ts
// (the layer's geometry; mg, kg and q are the GEMM's M, K and N of one group).
@group(0) @binding(0) var<uniform> p: Conv2dParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;     // (N, C, H, W)
@group(0) @binding(2) var<storage, read> wt: array<f32>;    // (Cout, C/groups, kH, kW)
@group(0) @binding(3) var<storage, read> bias: array<f32>;  // (Cout), if HAS_BIAS
@group(0) @binding(4) var<storage, read_write> out: array<f32>;  // (N, Cout, Ho, Wo)

// A tile: a_tile[kk · A_ROW4 + r] holds channels 4r .. 4r+3 of K row kk (r < WG_Y).
// B tile: b_tile[kk · WG_X + c] holds pixels 4c .. 4c+3 of K row kk.
var<workgroup> a_tile: array<vec4<f32>, A_TILE4>;
var<workgroup> b_tile: array<vec4<f32>, B_TILE4>;

fn finish(v: f32, co: u32) -> f32 {
  var s = v;
  if (HAS_BIAS == 1u) { s += bias[co]; }
  return activate(s);
}

// x[base + iy·W + ix], or 0 when the pixel is not real (ok false) or (iy, ix) is padding.
fn x_at(ok: bool, base: u32, iy: i32, ix: i32) -> f32 {
  if (!ok || iy < 0 || iy >= i32(p.h) || ix < 0 || ix >= i32(p.w)) { return 0.0; }
  return x[base + u32(iy) * p.w + u32(ix)];
}

// A[m, k] of group g, or 0 outside the matrix.
fn w_at(w_group: u32, m: u32, k: u32) -> f32 {
  if (m >= p.mg || k >= p.kg) { return 0.0; }
  return wt[w_group + m * p.kg + k];
}

// The value stored for output channel co: with bias and activation, or the raw partial sum.
fn epilogue(v: f32, co: u32) -> f32 {
  if (PARTIAL == 1u) { return v; }
  return finish(v, co);
}

// Writes channel m of the group (4 pixels) if it exists; off holds the pixels' offsets in out
// without the channel term, part the offset of this split's partials (0 without split-K).
fn store_row(g: u32, m: u32, v: vec4<f32>, off: vec4<u32>, ok: vec4<bool>, part: u32) {
  if (m >= p.mg) { return; }
  let co = g * p.mg + m;
  let c_off = co * p.ho * p.wo + part;
  if (ok.x) { out[off.x + c_off] = epilogue(v.x, co); }
  if (ok.y) { out[off.y + c_off] = epilogue(v.y, co); }
  if (ok.z) { out[off.z + c_off] = epilogue(v.z, co); }
  if (ok.w) { out[off.w + c_off] = epilogue(v.w, co); }
}

@compute @workgroup_size(WG_X, WG_Y)
fn gemm(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let tiles = p.tiles_m * p.tiles_n;
  let lin = linear_workgroup_id(wid, nwg);
  // Uniform per workgroup, so the barriers below stay in uniform control flow.
  if (lin >= tiles * p.splits) { return; }
  let tile = lin % tiles;
  let split = lin / tiles;
  let k_begin = split * p.k_chunk;
  let k_end = min(p.kg, k_begin + p.k_chunk);
  let g = wid.z;
  let tx = lid.x;
  let ty = lid.y;
  let m_row = (tile / p.tiles_n) * WG_Y * 4u + ty * 4u;  // this invocation's first channel
  let n_col = (tile % p.tiles_n) * WG_X * 4u + tx * 4u;  // this invocation's first pixel
  let khw = p.kh * p.kw;
  let hw = p.h * p.w;
  let hw_out = p.ho * p.wo;
  let w_group = g * p.mg * p.kg;

  // This invocation's 4 pixels: whether they exist, the top-left corner of their windows, the
  // base of their image's group channels in x, and their offsets in out.
  let n4 = vec4<u32>(n_col, n_col + 1u, n_col + 2u, n_col + 3u);
  let ok = n4 < vec4<u32>(p.q);
  let img = n4 / hw_out;
  let pix = n4 % hw_out;
  let iy0 = vec4<i32>((pix / p.wo) * p.sh) - p.pad_top;
  let ix0 = vec4<i32>((pix % p.wo) * p.sw) - p.pad_left;
  let x_base = (img * p.c + g * p.cg) * hw;
  let out_off = img * p.cout * hw_out + pix;

  var acc0 = vec4<f32>();  // channel m_row, pixels n_col .. n_col+3
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var k0 = k_begin; k0 < k_end; k0 += TK) {
    for (var kk = tx; kk < TK; kk += WG_X) {
      let k = k0 + kk;
      a_tile[kk * A_ROW4 + ty] = vec4<f32>(
        w_at(w_group, m_row, k), w_at(w_group, m_row + 1u, k), w_at(w_group, m_row + 2u, k), w_at(w_group, m_row + 3u, k));
    }
    for (var kk = ty; kk < TK; kk += WG_Y) {
      let k = k0 + kk;
      var v = vec4<f32>();
      if (k < p.kg) {
        let r = k % khw;
        let off = x_base + (k / khw) * hw;
        let iy = iy0 + i32((r / p.kw) * p.dh);
        let ix = ix0 + i32((r % p.kw) * p.dw);
        v = vec4<f32>(x_at(ok.x, off.x, iy.x, ix.x), x_at(ok.y, off.y, iy.y, ix.y), x_at(ok.z, off.z, iy.z, ix.z), x_at(ok.w, off.w, iy.w, ix.w));
      }
      b_tile[kk * WG_X + tx] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let a = a_tile[kk * A_ROW4 + ty];
      let b = b_tile[kk * WG_X + tx];
      acc0 = fma(vec4<f32>(a.x), b, acc0);
      acc1 = fma(vec4<f32>(a.y), b, acc1);
      acc2 = fma(vec4<f32>(a.z), b, acc2);
      acc3 = fma(vec4<f32>(a.w), b, acc3);
    }
    workgroupBarrier();
  }

  let part = split * p.total;
  store_row(g, m_row, acc0, out_off, ok, part);
  store_row(g, m_row + 1u, acc1, out_off, ok, part);
  store_row(g, m_row + 2u, acc2, out_off, ok, part);
  store_row(g, m_row + 3u, acc3, out_off, ok, part);
}

// x[row + ix], or 0 when ix is padding.
fn x_row_at(row: u32, ix: i32) -> f32 {
  if (ix < 0 || ix >= i32(p.w)) { return 0.0; }
  return x[row + u32(ix)];
}

@compute @workgroup_size(WG)
fn depthwise(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = linear_invocation_id(gid, nwg);
  if (idx >= p.total) { return; }
  let quads = (p.wo + 3u) / 4u;
  let ox0 = (idx % quads) * 4u;
  let oy = (idx / quads) % p.ho;
  let plane = idx / (quads * p.ho);  // img · Cout + co
  let co = plane % p.cout;
  let img = plane / p.cout;
  // groups = C: output channel co reads input channel co / multiplier.
  let x_base = (img * p.c + co / p.mg) * p.h * p.w;
  let w_base = co * p.kh * p.kw;
  let ix0 = vec4<i32>(vec4<u32>(ox0, ox0 + 1u, ox0 + 2u, ox0 + 3u) * p.sw) - p.pad_left;
  var acc = vec4<f32>();  // outputs ox0 .. ox0+3
  for (var ky = 0u; ky < p.kh; ky++) {
    let iy = i32(oy * p.sh + ky * p.dh) - p.pad_top;
    if (iy < 0 || iy >= i32(p.h)) { continue; }
    let row = x_base + u32(iy) * p.w;
    for (var kx = 0u; kx < p.kw; kx++) {
      let ix = ix0 + i32(kx * p.dw);
      let v = vec4<f32>(x_row_at(row, ix.x), x_row_at(row, ix.y), x_row_at(row, ix.z), x_row_at(row, ix.w));
      acc = fma(vec4<f32>(wt[w_base + ky * p.kw + kx]), v, acc);
    }
  }
  let o = (plane * p.ho + oy) * p.wo + ox0;
  out[o] = finish(acc.x, co);
  if (ox0 + 1u < p.wo) { out[o + 1u] = finish(acc.y, co); }
  if (ox0 + 2u < p.wo) { out[o + 2u] = finish(acc.z, co); }
  if (ox0 + 3u < p.wo) { out[o + 3u] = finish(acc.w, co); }
}

@compute @workgroup_size(WG)
fn direct(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = linear_invocation_id(gid, nwg);
  if (idx >= p.total) { return; }
  let o = nchw_pos(idx, p.cout, p.ho, p.wo);
  let g = o.c / p.mg;
  var s = 0.0;
  for (var ci = 0u; ci < p.cg; ci++) {
    s = add_window(s, (o.n * p.c + g * p.cg + ci) * p.h * p.w, (o.c * p.cg + ci) * p.kh * p.kw, o.y, o.x);
  }
  out[idx] = finish(s, o.c);
}
