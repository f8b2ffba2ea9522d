// conv2d backward, NCHW: the gradients of out[n, o, oy, ox] = Σ x[n, c, iy, ix] · w[kernel, ky, kx]
// (iy = oy·sH − padTop + ky·dH, ix = ox·sW − padLeft + kx·dW) from dy at the pre-activation
// output. Eight entry points over the same bindings and uniforms; none uses atomics: each
// gradient element is owned by one invocation (gathers, the split sum) or one workgroup.
//
// Which (output channel o, input channel c) pairs exist, and which kernel `kernel` of w each
// uses: dense/grouped (TABLE = 0) — c in o's group, kernel = o·cg + (c mod cg), w is
// (Cout, cg, kH, kW); connection table (TABLE = 1) — pair j = (tbl_out[j], tbl_in[j]),
// kernel = j, w is (Σ|table[o]|, kH, kW), and the input channel c is read by the pairs
// tbl_readers[tbl_reader_off[c] .. tbl_reader_off[c + 1]), all four lists packed in `tbl`.
//
// dx takes one of three paths (conv2dDxKind in kernels/conv2d_backward_paths.ts):
//  - forward: for stride 1 with enough input channels, a forward convolution of dy with the
//    flipped weights through the forward's GEMM kernel; `w_flip` makes those weights.
//  - col: `col_gemm` computes dcol = Wᵀ · dy per image and group, then `col2im` gathers dcol
//    into dx.
//  - gather: the `dx` entry alone.
//
// `dx` — the transposed convolution as a gather. One invocation computes one dx[n, c, iy, ix]:
//   Σ over the pairs (o, c) and the taps (ky, kx) whose output position reads (iy, ix), i.e.
//   oy = (iy + padTop − ky·dH) / sH and ox = (ix + padLeft − kx·dW) / sW exact and in range,
//   of dy[n, o, oy, ox] · w[kernel, ky, kx]. Only the taps that land are visited: the first
//   ky with sH | (iy + padTop − ky·dH) is found once, then ky steps by step_y = sH / gcd(sH, dH)
//   (likewise kx); in dense mode each landing tap then runs over the group's output channels,
//   so the tap arithmetic is paid once per tap, not once per channel. One workgroup computes
//   WG consecutive dx values (1-D, folded into y when large).
//
// `col_gemm` — dcol[bi, r, pix] = Σ_m w[g·mg + m, r] · dy[n, g·mg + m, pix] for bi = n·groups + g,
//   r = (ci·kH + ky)·kW + kx < kg, pix = oy·Wo + ox: dcol is (N·groups, kg, Ho·Wo), which is
//   (N, C·kH·kW, Ho·Wo) since c = g·cg + ci. The reduction (Cout/groups) is short, so there is
//   no workgroup memory and no barrier: one invocation computes a 4 × 4 register block (rows
//   4·gid.y .. +3, pixels 4·gid.x .. +3, bi = gid.z) reading 4 consecutive weights of a row of
//   w and 4 consecutive dy values per output channel m (two loads, four vec4 FMAs). One
//   workgroup (WG_X × WG_Y) covers 4·WG_X pixels × 4·WG_Y rows.
//
// `col2im` — one invocation computes one dx[n, c, iy, ix] as the sum of the dcol entries
//   dcol[n, (c·kH + ky)·kW + kx, oy·Wo + ox] over the same landing taps as `dx` (first_tap,
//   step_y / step_x), so no atomics: dcol is bound at binding 1 (`x`'s slot). One workgroup
//   computes WG consecutive dx values (1-D, folded into y when large).
//
// `w_flip` — one invocation writes one element of the flipped weights
//   wf[g·cg + ci, m, kH−1−ky, kW−1−kx] = w[g·mg + m, ci, ky, kx]   wf: (C, Cout/groups, kH, kW)
// (1-D over w, WG per workgroup, folded into y when large).
//
// dw, dense/grouped/depthwise (TABLE = 0) — a split-K GEMM per group g (workgroup_id.z):
//   dw[m, k] = Σ_q dY[m, q] · X[q, k]
// with M = Cout/groups, K = cg·kH·kW (row-major (ci, ky, kx): dw's own layout) and the long
// axis Q = N·Ho·Wo. dY is dy read in place, X is im2col of x (0 in the padding), never stored.
// Q is cut into `splits` chunks of `chunk` positions (a multiple of TP; the last one shorter)
// so that even layers with a tiny dw (LeNet's 150 weights) fill the device.
//
// `dw_split` — one workgroup of WG_X × WG_Y invocations computes, for one chunk s of Q, a
// TM × TK block of dw (TM = 4·WG_Y channels, TK = 4·WG_X columns): it walks its chunk TP
// positions at a time, staging dY (TM × TP) and X (TP × TK) in workgroup memory as vec4
// columns; invocation (tx, ty) accumulates the 4×4 block of channels 4·ty .. 4·ty+3 ×
// columns 4·tx .. 4·tx+3 in four vec4 registers (two vec4 reads, four vec4 FMAs per
// position). Staging keeps consecutive invocations (tx fastest) on consecutive positions, so
// each load instruction reads consecutive addresses: invocation (tx, ty) stages its own 4
// channel rows of dY at positions tx, tx + WG_X, ...; for X the workgroup's linear invocation
// index li walks (position, group of 4 columns) pairs position-fastest, the columns' (ci, ky,
// kx) decoded once per workgroup into `col_info`. Both tiles are padded by one vec4 per
// position row (DY_STRIDE = WG_Y + 1, X_STRIDE = WG_X + 1), so the stores of consecutive
// positions do not fall in the same memory bank. The linear workgroup id (wid.x + wid.y · nwg.x, folded into y when large) is
// tile + tiles · s. The block is written to out[s·dw_size + (g·mg + m)·kg + k]: straight into
// dw when splits = 1, otherwise into a (splits, Cout, kg) scratch tensor.
//
// `dw_sum` — one invocation computes one dw element as the sum of its `splits` partial sums
// in split order (deterministic). The partials are bound at binding 1 (`x`'s slot). 1-D, WG
// per workgroup, folded into y when large.
//
// `dw_reduce` — debug.forceNaive (dense and connection tables). One workgroup computes one dw
// element: its WG invocations take every WG-th output position q of N·Ho·Wo and sum dy · x
// over them, then a tree reduction in workgroup memory. Workgroup ids are folded into y.
//
// `table_compact` — connection tables outside forceNaive run dx, dw and db as the dense
//   convolution of the table's weights expanded to (Cout, C, kH, kW) with zeros for the absent
//   pairs (the forward's `table_expand`); this entry then gathers the table's dw out of the
//   dense one: one invocation writes dw[j, ky, kx] = dw_dense[tbl_out[j], tbl_in[j], ky, kx].
//   dw_dense is bound at binding 1 (`x`'s slot). 1-D over dw, WG per workgroup, folded into y
//   when large.
//
// `db` — one workgroup computes, for output channel o and chunk j of the N·Ho·Wo positions
// (workgroup id j·Cout + o), Σ dy[n, o, oy, ox] over the chunk: a strided sum per invocation,
// which steps (image, pixel) by (⌊WG / (Ho·Wo)⌋, WG mod Ho·Wo) rather than dividing per value,
// then the same tree reduction, stored at out[j·Cout + o]. With one chunk that is db itself;
// with several (few long channels, selectReductionSplit) `dw_sum` then adds the chunks.
//
// Epilogue of `dx` and `col2im` (conv2dTranspose's forward, which is this dx): with HAS_BIAS = 1
// each dx[n, c, iy, ix] adds bias[c], and ACT applies an activation (activate(), the activation
// prelude; none by default, as conv2d backward uses it). The bias is bound in a slot the entry
// does not read: binding 1 (`x`) for `dx`, binding 2 (`wt`) for `col2im`.
//
// Requires the activation and index preludes.

// Workgroup size of `dx`, `w_flip`, `dw_sum`, `dw_reduce`, `table_compact` and `db` (a power of two for the
// tree reduction).
override WG: u32 = 64u;
// 1 in connection-table mode (`tbl` holds the table), 0 otherwise (`tbl` aliases w, unread).
override TABLE: u32 = 0u;
// 1 when `dx` / `col2im` add a bias (see the epilogue above).
override HAS_BIAS: u32 = 0u;
// Tiling of `dw_split` (see selectDwTile in kernels/conv2d_backward_paths.ts) and `col_gemm`
// (DX_COL_TUNING in src/backends/webgpu/tuning.ts); the register block is fixed at 4×4.
override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
override TP: u32 = 16u;
// Tiles in workgroup memory, in vec4 columns: TM / 4 = WG_Y and TK / 4 = WG_X per position,
// each position's row padded by one vec4 against bank conflicts.
override DY_STRIDE: u32 = WG_Y + 1u;
override X_STRIDE: u32 = WG_X + 1u;
override DY_TILE4: u32 = TP * DY_STRIDE;
override X_TILE4: u32 = TP * X_STRIDE;
override TK: u32 = 4u * WG_X;

// Uniforms: Conv2dBackwardParams, generated from CONV2D_BACKWARD_PARAMS in
// src/backends/webgpu/kernels/conv2d_backward.ts (the forward's geometry, with mg, kg and q the
// dw GEMM's M, K and long axis, plus the table offsets, the split and the tap steps).
@group(0) @binding(0) var<uniform> p: Conv2dBackwardParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;    // (N, C, H, W); `dw_sum`: the partials (splits, dw_size); `col2im`: dcol (N, C·kH·kW, Ho·Wo); `table_compact`: dw_dense (Cout, C, kH, kW); `dx`: the bias (C) if HAS_BIAS
@group(0) @binding(2) var<storage, read> wt: array<f32>;   // (Cout, C/groups, kH, kW) or (Σ|table[o]|, kH, kW); `col2im`: the bias (C) if HAS_BIAS
@group(0) @binding(3) var<storage, read> dy: array<f32>;   // (N, Cout, Ho, Wo)
@group(0) @binding(4) var<storage, read> tbl: array<u32>;  // table lists (TABLE = 1), see above
@group(0) @binding(5) var<storage, read_write> out: array<f32>;  // dx, wf, dcol, dw (or its partials) or db

var<workgroup> partial: array<f32, WG>;
// dy_tile[pp · DY_STRIDE + r] holds channels 4r .. 4r+3 at position pp of the slice.
var<workgroup> dy_tile: array<vec4<f32>, DY_TILE4>;
// x_tile[pp · X_STRIDE + c] holds im2col columns 4c .. 4c+3 at position pp of the slice.
var<workgroup> x_tile: array<vec4<f32>, X_TILE4>;
// col_info[c] for the tile's im2col column c: (offset of its input channel's plane within an
// image, or -1 past the last column; its window's row and column offsets).
var<workgroup> col_info: array<vec3<i32>, TK>;

// No landing tap: larger than any kernel size, so the tap loops do not run.
const NO_TAP: u32 = 0xffffffffu;

// The first tap index t in [0, step) with stride | (base − t·dil), or NO_TAP if none exists
// (then no t does: the residues of t·dil repeat with period step). Later landing taps are
// t + step, t + 2·step, ...
fn first_tap(base: i32, stride: u32, dil: u32, step: u32) -> u32 {
  for (var t = 0u; t < step; t++) {
    let r = base - i32(t * dil);
    if (r < 0) { return NO_TAP; }
    if (u32(r) % stride == 0u) { return t; }
  }
  return NO_TAP;
}

// Σ over the landing taps of dy[img, o, oy, ox] · w[kernel, ky, kx] (connection-table mode).
fn dx_taps(img: u32, ty0: i32, tx0: i32, ky0: u32, kx0: u32, o: u32, kernel: u32) -> f32 {
  let dy_base = (img * p.cout + o) * p.ho * p.wo;
  let w_base = kernel * p.kh * p.kw;
  var s = 0.0;
  for (var ky = ky0; ky < p.kh; ky += p.step_y) {
    // oy·sH = iy + padTop − ky·dH, which only decreases with ky.
    let ty = ty0 - i32(ky * p.dh);
    if (ty < 0) { break; }
    let oy = u32(ty) / p.sh;
    if (oy >= p.ho) { continue; }
    for (var kx = kx0; kx < p.kw; kx += p.step_x) {
      let tx = tx0 - i32(kx * p.dw);
      if (tx < 0) { break; }
      let ox = u32(tx) / p.sw;
      if (ox >= p.wo) { continue; }
      s += dy[dy_base + oy * p.wo + ox] * wt[w_base + ky * p.kw + kx];
    }
  }
  return s;
}

@compute @workgroup_size(WG)
fn dx(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = linear_invocation_id(gid, nwg);
  if (idx >= p.total) { return; }
  let pos = nchw_pos(idx, p.c, p.h, p.w);
  let img = pos.n;
  let c = pos.c;
  let iy = pos.y;
  let ix = pos.x;
  let ty0 = i32(iy) + p.pad_top;
  let tx0 = i32(ix) + p.pad_left;
  let ky0 = first_tap(ty0, p.sh, p.dh, p.step_y);
  let kx0 = first_tap(tx0, p.sw, p.dw, p.step_x);
  var s = 0.0;
  if (TABLE == 1u) {
    for (var r = tbl[p.tbl_reader_off + c]; r < tbl[p.tbl_reader_off + c + 1u]; r++) {
      let j = tbl[p.tbl_readers + r];
      s += dx_taps(img, ty0, tx0, ky0, kx0, tbl[p.tbl_out + j], j);
    }
  } else {
    let g = c / p.cg;
    let hw_o = p.ho * p.wo;
    let khw = p.kh * p.kw;
    // Channel m of the group: dy plane g·mg + m, w kernel (g·mg + m)·cg + ci; both step by a
    // fixed stride per channel.
    let dy_base = (img * p.cout + g * p.mg) * hw_o;
    let w_base = ((g * p.mg) * p.cg + c % p.cg) * khw;
    let w_step = p.cg * khw;
    for (var ky = ky0; ky < p.kh; ky += p.step_y) {
      let ty = ty0 - i32(ky * p.dh);
      if (ty < 0) { break; }
      let oy = u32(ty) / p.sh;
      if (oy >= p.ho) { continue; }
      for (var kx = kx0; kx < p.kw; kx += p.step_x) {
        let tx = tx0 - i32(kx * p.dw);
        if (tx < 0) { break; }
        let ox = u32(tx) / p.sw;
        if (ox >= p.wo) { continue; }
        var d = dy_base + oy * p.wo + ox;
        var wi = w_base + ky * p.kw + kx;
        for (var m = 0u; m < p.mg; m++) {
          s = fma(dy[d], wt[wi], s);
          d += hw_o;
          wi += w_step;
        }
      }
    }
  }
  if (HAS_BIAS == 1u) { s += x[c]; }
  out[idx] = activate(s);
}

// wt[i + j] when j < n, else 0 (col_gemm's ragged edges).
fn col_w(i: u32, j: u32, n: u32) -> f32 { return select(0.0, wt[min(i + j, arrayLength(&wt) - 1u)], j < n); }
fn col_dy(i: u32, j: u32, n: u32) -> f32 { return select(0.0, dy[min(i + j, arrayLength(&dy) - 1u)], j < n); }

// dcol rows r0 .. r0+3, pixels pix0 .. pix0+3 of (image, group) bi; values past the last row
// or pixel are neither read (col_w / col_dy give 0) nor stored.
@compute @workgroup_size(WG_X, WG_Y)
fn col_gemm(@builtin(global_invocation_id) gid: vec3<u32>) {
  let hw_o = p.ho * p.wo;
  let pix0 = gid.x * 4u;
  let r0 = gid.y * 4u;
  if (pix0 >= hw_o || r0 >= p.kg) { return; }
  let bi = gid.z;
  let g = bi % (p.c / p.cg);
  // Row g·mg + m of w (Cout, kg) from column r0, and dy plane bi·mg + m (= n·Cout + g·mg + m) from pix0.
  var wi = g * p.mg * p.kg + r0;
  var di = bi * p.mg * hw_o + pix0;
  let rn = min(4u, p.kg - r0);
  let pn = min(4u, hw_o - pix0);
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var m = 0u; m < p.mg; m++) {
    let a = vec4<f32>(wt[wi], col_w(wi, 1u, rn), col_w(wi, 2u, rn), col_w(wi, 3u, rn));
    let b = vec4<f32>(dy[di], col_dy(di, 1u, pn), col_dy(di, 2u, pn), col_dy(di, 3u, pn));
    acc0 = fma(vec4<f32>(a.x), b, acc0);
    acc1 = fma(vec4<f32>(a.y), b, acc1);
    acc2 = fma(vec4<f32>(a.z), b, acc2);
    acc3 = fma(vec4<f32>(a.w), b, acc3);
    wi += p.kg;
    di += hw_o;
  }
  let o = (bi * p.kg + r0) * hw_o + pix0;
  for (var j = 0u; j < pn; j++) {
    out[o + j] = acc0[j];
    if (rn > 1u) { out[o + hw_o + j] = acc1[j]; }
    if (rn > 2u) { out[o + 2u * hw_o + j] = acc2[j]; }
    if (rn > 3u) { out[o + 3u * hw_o + j] = acc3[j]; }
  }
}

@compute @workgroup_size(WG)
fn col2im(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = linear_invocation_id(gid, nwg);
  if (idx >= p.total) { return; }
  let ix = idx % p.w;
  let iy = (idx / p.w) % p.h;
  // n·C + c: dcol's rows for (n, c) start at (n·C + c)·kH·kW.
  let plane = idx / (p.w * p.h);
  let ty0 = i32(iy) + p.pad_top;
  let tx0 = i32(ix) + p.pad_left;
  let ky0 = first_tap(ty0, p.sh, p.dh, p.step_y);
  let kx0 = first_tap(tx0, p.sw, p.dw, p.step_x);
  let hw_o = p.ho * p.wo;
  let base = plane * p.kh * p.kw;
  var s = 0.0;
  for (var ky = ky0; ky < p.kh; ky += p.step_y) {
    let ty = ty0 - i32(ky * p.dh);
    if (ty < 0) { break; }
    let oy = u32(ty) / p.sh;
    if (oy >= p.ho) { continue; }
    for (var kx = kx0; kx < p.kw; kx += p.step_x) {
      let tx = tx0 - i32(kx * p.dw);
      if (tx < 0) { break; }
      let ox = u32(tx) / p.sw;
      if (ox >= p.wo) { continue; }
      s += x[(base + ky * p.kw + kx) * hw_o + oy * p.wo + ox];
    }
  }
  if (HAS_BIAS == 1u) { s += wt[plane % p.c]; }
  out[idx] = activate(s);
}

@compute @workgroup_size(WG)
fn w_flip(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = linear_invocation_id(gid, nwg);
  if (idx >= p.total) { return; }
  // idx walks w (Cout, cg, kH, kW).
  let kx = idx % p.kw;
  let ky = (idx / p.kw) % p.kh;
  let ci = (idx / (p.kw * p.kh)) % p.cg;
  let o = idx / (p.kw * p.kh * p.cg);
  let g = o / p.mg;
  let m = o % p.mg;
  out[(((g * p.cg + ci) * p.mg + m) * p.kh + (p.kh - 1u - ky)) * p.kw + (p.kw - 1u - kx)] = wt[idx];
}

// dy[base] for channel m of the group, or 0 past the group's channels.
fn dy_at(m: u32, base: u32) -> f32 {
  if (m >= p.mg) { return 0.0; }
  return dy[base];
}

// The im2col value of column `info` (a col_info entry) at the output position whose window
// starts at (iy0, ix0) in the image at `base`: 0 past the last column or in the padding.
fn x_col(info: vec3<i32>, base: u32, iy0: i32, ix0: i32) -> f32 {
  let iy = iy0 + info.y;
  let ix = ix0 + info.z;
  if (info.x < 0 || iy < 0 || iy >= i32(p.h) || ix < 0 || ix >= i32(p.w)) { return 0.0; }
  return x[base + u32(info.x) + u32(iy) * p.w + u32(ix)];
}

// Writes channel m of the group (4 columns from k) of chunk s's partial dw, if it exists.
fn store_dw(s: u32, g: u32, m: u32, k: u32, v: vec4<f32>) {
  if (m >= p.mg) { return; }
  let row = s * p.dw_size + (g * p.mg + m) * p.kg;
  if (k < p.kg) { out[row + k] = v.x; }
  if (k + 1u < p.kg) { out[row + k + 1u] = v.y; }
  if (k + 2u < p.kg) { out[row + k + 2u] = v.z; }
  if (k + 3u < p.kg) { out[row + k + 3u] = v.w; }
}

@compute @workgroup_size(WG_X, WG_Y)
fn dw_split(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let id = linear_workgroup_id(wid, nwg);
  // Uniform per workgroup, so the barriers below stay in uniform control flow.
  if (id >= p.total) { return; }
  let g = wid.z;
  let tile = id % p.tiles;
  let s = id / p.tiles;
  let tx = lid.x;
  let ty = lid.y;
  let m_row = (tile / p.tiles_k) * WG_Y * 4u + ty * 4u;  // this invocation's first channel
  let k_tile = (tile % p.tiles_k) * TK;                  // the tile's first column
  let k_col = k_tile + tx * 4u;                          // this invocation's first column
  let hw = p.h * p.w;
  let hw_o = p.ho * p.wo;
  let khw = p.kh * p.kw;

  // The tile's im2col columns, decoded once.
  for (var c = li; c < TK; c += WG_X * WG_Y) {
    let k = k_tile + c;
    var info = vec3<i32>(-1, 0, 0);
    if (k < p.kg) {
      let r = k % khw;
      info = vec3<i32>(i32((g * p.cg + k / khw) * hw), i32((r / p.kw) * p.dh) - p.pad_top, i32((r % p.kw) * p.dw) - p.pad_left);
    }
    col_info[c] = info;
  }
  workgroupBarrier();
  // This invocation's first dy channel plane within an image.
  let dy_chan = (g * p.mg + m_row) * hw_o;

  let q_begin = s * p.chunk;
  let q_end = min(q_begin + p.chunk, p.q);
  var acc0 = vec4<f32>();  // channel m_row, columns k_col .. k_col+3
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var q0 = q_begin; q0 < q_end; q0 += TP) {
    for (var pp = tx; pp < TP; pp += WG_X) {
      let q = q0 + pp;
      var v = vec4<f32>();
      if (q < q_end) {
        let base = (q / hw_o) * p.cout * hw_o + dy_chan + q % hw_o;
        v = vec4<f32>(dy_at(m_row, base), dy_at(m_row + 1u, base + hw_o), dy_at(m_row + 2u, base + 2u * hw_o), dy_at(m_row + 3u, base + 3u * hw_o));
      }
      dy_tile[pp * DY_STRIDE + ty] = v;
    }
    // (position pp, columns 4c .. 4c+3) pairs, position fastest.
    for (var e = li; e < TP * WG_X; e += WG_X * WG_Y) {
      let pp = e % TP;
      let c = e / TP;
      let q = q0 + pp;
      var v = vec4<f32>();
      if (q < q_end) {
        let img = q / hw_o;
        let pix = q - img * hw_o;
        let oy = pix / p.wo;
        let base = img * p.c * hw;
        let iy0 = i32(oy * p.sh);
        let ix0 = i32((pix - oy * p.wo) * p.sw);
        v = vec4<f32>(
          x_col(col_info[4u * c], base, iy0, ix0), x_col(col_info[4u * c + 1u], base, iy0, ix0),
          x_col(col_info[4u * c + 2u], base, iy0, ix0), x_col(col_info[4u * c + 3u], base, iy0, ix0),
        );
      }
      x_tile[pp * X_STRIDE + c] = v;
    }
    workgroupBarrier();
    for (var pp = 0u; pp < TP; pp++) {
      let a = dy_tile[pp * DY_STRIDE + ty];
      let b = x_tile[pp * X_STRIDE + tx];
      acc0 = fma(vec4<f32>(a.x), b, acc0);
      acc1 = fma(vec4<f32>(a.y), b, acc1);
      acc2 = fma(vec4<f32>(a.z), b, acc2);
      acc3 = fma(vec4<f32>(a.w), b, acc3);
    }
    workgroupBarrier();
  }

  store_dw(s, g, m_row, k_col, acc0);
  store_dw(s, g, m_row + 1u, k_col, acc1);
  store_dw(s, g, m_row + 2u, k_col, acc2);
  store_dw(s, g, m_row + 3u, k_col, acc3);
}

@compute @workgroup_size(WG)
fn dw_sum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = linear_invocation_id(gid, nwg);
  if (e >= p.total) { return; }
  var s = 0.0;
  for (var j = 0u; j < p.splits; j++) {
    s += x[j * p.dw_size + e];
  }
  out[e] = s;
}

// Sums `s` over the workgroup; invocation 0 stores the sum at out[e].
fn reduce_store(li: u32, s: f32, e: u32) {
  partial[li] = s;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half = half / 2u) {
    if (li < half) { partial[li] += partial[li + half]; }
    workgroupBarrier();
  }
  if (li == 0u) { out[e] = partial[0]; }
}

@compute @workgroup_size(WG)
fn dw_reduce(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let e = linear_workgroup_id(wid, nwg);
  if (e >= p.total) { return; }
  let kx = e % p.kw;
  let ky = (e / p.kw) % p.kh;
  let kernel = e / (p.kw * p.kh);
  var o: u32;
  var c: u32;
  if (TABLE == 1u) {
    o = tbl[p.tbl_out + kernel];
    c = tbl[p.tbl_in + kernel];
  } else {
    o = kernel / p.cg;
    c = (o / p.mg) * p.cg + kernel % p.cg;
  }
  let hw_o = p.ho * p.wo;
  var s = 0.0;
  for (var q = li; q < p.q; q += WG) {
    let img = q / hw_o;
    let oy = (q / p.wo) % p.ho;
    let ox = q % p.wo;
    let iy = i32(oy * p.sh + ky * p.dh) - p.pad_top;
    let ix = i32(ox * p.sw + kx * p.dw) - p.pad_left;
    if (iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w)) {
      s += dy[(img * p.cout + o) * hw_o + oy * p.wo + ox] * x[((img * p.c + c) * p.h + u32(iy)) * p.w + u32(ix)];
    }
  }
  reduce_store(li, s, e);
}

@compute @workgroup_size(WG)
fn table_compact(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = linear_invocation_id(gid, nwg);
  if (idx >= p.total) { return; }
  let khw = p.kh * p.kw;
  let j = idx / khw;
  out[idx] = x[(tbl[p.tbl_out + j] * p.c + tbl[p.tbl_in + j]) * khw + idx % khw];
}

@compute @workgroup_size(WG)
fn db(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let id = linear_workgroup_id(wid, nwg);
  if (id >= p.total) { return; }
  let j = id / p.cout;
  let o = id - j * p.cout;
  let hw_o = p.ho * p.wo;
  let q_end = min(p.q, (j + 1u) * p.chunk);
  let step_img = WG / hw_o;
  let step_pix = WG - step_img * hw_o;
  var q = j * p.chunk + li;
  var img = q / hw_o;
  var pix = q - img * hw_o;
  var s = 0.0;
  for (; q < q_end; q += WG) {
    s += dy[(img * p.cout + o) * hw_o + pix];
    img += step_img;
    pix += step_pix;
    if (pix >= hw_o) {
      pix -= hw_o;
      img += 1u;
    }
  }
  reduce_store(li, s, id);
}
