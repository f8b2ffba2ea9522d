// conv2d backward, NCHW: the gradients of out[n, o, oy, ox] = Σ x[n, c, iy, ix] · w[kernel, ky, kx]
// (iy = oy·sH − padTop + ky·dH, ix = ox·sW − padLeft + kx·dW) from dy at the pre-activation
// output. Four entry points over the same bindings and uniforms; none uses atomics: each
// gradient element is owned by one invocation (gathers) or one workgroup (reductions).
//
// Which (output channel o, input channel c) pairs exist, and which kernel `kernel` of w each
// uses: dense/grouped (TABLE = 0) — c in o's group, kernel = o·cg + (c mod cg), w is
// (Cout, cg, kH, kW); connection table (TABLE = 1) — pair j = (tbl_out[j], tbl_in[j]),
// kernel = j, w is (Σ|table[o]|, kH, kW), and the input channel c is read by the pairs
// tbl_readers[tbl_reader_off[c] .. tbl_reader_off[c + 1]), all four lists packed in `tbl`.
//
// `dx` — the transposed convolution as a gather. One invocation computes one dx[n, c, iy, ix]:
//   Σ over the pairs (o, c) and the taps (ky, kx) whose output position reads (iy, ix), i.e.
//   oy = (iy + padTop − ky·dH) / sH and ox = (ix + padLeft − kx·dW) / sW exact and in range,
//   of dy[n, o, oy, ox] · w[kernel, ky, kx]. One workgroup computes WG consecutive dx values
//   (1-D, folded into y when large).
//
// `dw_gemm` — dense and grouped modes (cg > 1). Per group g (workgroup_id.z), dw is the product
//   dw[m, k] = Σ_q dY[m, q] · X[q, k]
// with M = Cout/groups (the group's output channels), K = cg·kH·kW (row-major (ci, ky, kx), so
// dw's own layout) and the long axis Q = N·Ho·Wo (output positions). dY is dy read in place;
// X is im2col of x, B[q, k] = x[n, g·cg + ci, iy, ix] (0 in the padding), never stored. One
// workgroup of TILE_K × TILE_M invocations owns a TILE_M × TILE_K block of dw and walks Q in
// slices of TP: it stages dY (TILE_M × TP) and X (TP × TILE_K) in workgroup memory, barriers,
// and invocation (lx, ly) accumulates dw[ly, lx] of the block over the slice. The tile grid
// (tiles of M × tiles of K) may be folded into y: tile id = wid.x + wid.y · nwg.x.
//
// `dw_reduce` — connection tables, depthwise (cg = 1, where K = kH·kW is too short for the
// GEMM) and debug.forceNaive. One workgroup computes one dw element: its WG invocations take
// every WG-th output position q of N·Ho·Wo and sum dy · x over them, then a tree reduction in
// workgroup memory. Workgroup ids are folded into y when large.
//
// `db` — one workgroup computes db[o] = Σ_{n, oy, ox} dy[n, o, oy, ox]: a strided sum per
// invocation, then the same tree reduction.

// Workgroup size of `dx`, `dw_reduce` and `db` (a power of two for the tree reduction).
override WG: u32 = 64u;
// 1 in connection-table mode (`tbl` holds the table), 0 otherwise (`tbl` aliases w, unread).
override TABLE: u32 = 0u;
// Tiling of `dw_gemm`: TILE_M rows (output channels) × TILE_K columns of dw per workgroup,
// one element per invocation, stepping through the output positions TP at a time.
override TILE_M: u32 = 16u;
override TILE_K: u32 = 16u;
override TP: u32 = 16u;
override DY_TILE: u32 = TILE_M * TP;
override X_TILE: u32 = TP * TILE_K;

struct Params {
  batch: u32,
  c: u32,
  h: u32,
  w: u32,
  cout: u32,
  ho: u32,
  wo: u32,
  kh: u32,
  kw: u32,
  sh: u32,
  sw: u32,
  dh: u32,
  dw: u32,
  pad_top: i32,
  pad_left: i32,
  // C / groups and Cout / groups (GEMM M of `dw_gemm`).
  cg: u32,
  mg: u32,
  // GEMM K = cg·kh·kw.
  kg: u32,
  // Output positions N·Ho·Wo (the long reduction axis of dw and db).
  q: u32,
  // Where each list of the connection table starts in `tbl` (TABLE = 1).
  tbl_out: u32,
  tbl_in: u32,
  tbl_reader_off: u32,
  tbl_readers: u32,
  // Tiles of `dw_gemm` along K.
  tiles_k: u32,
  // Work items: dx values (`dx`), tiles per group (`dw_gemm`), dw values (`dw_reduce`), channels (`db`).
  total: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;    // (N, C, H, W)
@group(0) @binding(2) var<storage, read> wt: array<f32>;   // (Cout, C/groups, kH, kW) or (Σ|table[o]|, kH, kW)
@group(0) @binding(3) var<storage, read> dy: array<f32>;   // (N, Cout, Ho, Wo)
@group(0) @binding(4) var<storage, read> tbl: array<u32>;  // table lists (TABLE = 1), see above
@group(0) @binding(5) var<storage, read_write> out: array<f32>;  // dx, dw or db

var<workgroup> partial: array<f32, WG>;
var<workgroup> dy_tile: array<f32, DY_TILE>;  // (TILE_M, TP)
var<workgroup> x_tile: array<f32, X_TILE>;    // (TP, TILE_K)

// Σ over taps of dy[img, o, oy, ox] · w[kernel, ky, kx] for the output positions that read (iy, ix).
fn dx_taps(img: u32, iy: u32, ix: u32, o: u32, kernel: u32) -> f32 {
  let dy_base = (img * p.cout + o) * p.ho * p.wo;
  let w_base = kernel * p.kh * p.kw;
  var s = 0.0;
  for (var ky = 0u; ky < p.kh; ky++) {
    // oy·sH = iy + padTop − ky·dH, which only decreases with ky.
    let ty = i32(iy) + p.pad_top - i32(ky * p.dh);
    if (ty < 0) { break; }
    if (u32(ty) % p.sh != 0u) { continue; }
    let oy = u32(ty) / p.sh;
    if (oy >= p.ho) { continue; }
    for (var kx = 0u; kx < p.kw; kx++) {
      let tx = i32(ix) + p.pad_left - i32(kx * p.dw);
      if (tx < 0) { break; }
      if (u32(tx) % p.sw != 0u) { continue; }
      let ox = u32(tx) / p.sw;
      if (ox >= p.wo) { continue; }
      s += dy[dy_base + oy * p.wo + ox] * wt[w_base + ky * p.kw + kx];
    }
  }
  return s;
}

@compute @workgroup_size(WG)
fn dx(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * WG;
  if (idx >= p.total) { return; }
  let ix = idx % p.w;
  let iy = (idx / p.w) % p.h;
  let c = (idx / (p.w * p.h)) % p.c;
  let img = idx / (p.w * p.h * p.c);
  var s = 0.0;
  if (TABLE == 1u) {
    for (var r = tbl[p.tbl_reader_off + c]; r < tbl[p.tbl_reader_off + c + 1u]; r++) {
      let j = tbl[p.tbl_readers + r];
      s += dx_taps(img, iy, ix, tbl[p.tbl_out + j], j);
    }
  } else {
    let g = c / p.cg;
    let ci = c % p.cg;
    for (var m = 0u; m < p.mg; m++) {
      let o = g * p.mg + m;
      s += dx_taps(img, iy, ix, o, o * p.cg + ci);
    }
  }
  out[idx] = s;
}

@compute @workgroup_size(TILE_K, TILE_M)
fn dw_gemm(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
  let g = wid.z;
  let tile = wid.x + wid.y * nwg.x;
  // Past the last tile (grid folding): compute nothing, store nothing, but join the barriers.
  let live = tile < p.total;
  let m0 = (tile / p.tiles_k) * TILE_M;
  let k0 = (tile % p.tiles_k) * TILE_K;
  let hw_o = p.ho * p.wo;
  let khw = p.kh * p.kw;
  let threads = TILE_M * TILE_K;
  var acc = 0.0;
  for (var q0 = 0u; q0 < p.q; q0 += TP) {
    // dY tile: rows m0 .. m0 + TILE_M of the group's channels, positions q0 .. q0 + TP.
    for (var l = li; l < DY_TILE; l += threads) {
      let m = m0 + l / TP;
      let q = q0 + l % TP;
      var v = 0.0;
      if (live && m < p.mg && q < p.q) {
        let o = g * p.mg + m;
        v = dy[((q / hw_o) * p.cout + o) * hw_o + q % hw_o];
      }
      dy_tile[l] = v;
    }
    // X tile: positions q0 .. q0 + TP, columns k0 .. k0 + TILE_K of im2col(x).
    for (var l = li; l < X_TILE; l += threads) {
      let q = q0 + l / TILE_K;
      let k = k0 + l % TILE_K;
      var v = 0.0;
      if (live && k < p.kg && q < p.q) {
        let ci = k / khw;
        let ky = (k / p.kw) % p.kh;
        let kx = k % p.kw;
        let img = q / hw_o;
        let oy = (q / p.wo) % p.ho;
        let ox = q % p.wo;
        let iy = i32(oy * p.sh + ky * p.dh) - p.pad_top;
        let ix = i32(ox * p.sw + kx * p.dw) - p.pad_left;
        if (iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w)) {
          v = x[((img * p.c + g * p.cg + ci) * p.h + u32(iy)) * p.w + u32(ix)];
        }
      }
      x_tile[l] = v;
    }
    workgroupBarrier();
    for (var t = 0u; t < TP; t++) {
      acc += dy_tile[lid.y * TP + t] * x_tile[t * TILE_K + lid.x];
    }
    workgroupBarrier();
  }
  let m = m0 + lid.y;
  let k = k0 + lid.x;
  if (live && m < p.mg && k < p.kg) {
    out[(g * p.mg + m) * p.kg + k] = acc;
  }
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
  let e = wid.x + wid.y * nwg.x;
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
fn db(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let o = wid.x + wid.y * nwg.x;
  if (o >= p.total) { return; }
  let hw_o = p.ho * p.wo;
  var s = 0.0;
  for (var q = li; q < p.q; q += WG) {
    s += dy[((q / hw_o) * p.cout + o) * hw_o + q % hw_o];
  }
  reduce_store(li, s, o);
}
