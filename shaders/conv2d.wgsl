// 2-D convolution, NCHW. Two entry points over the same bindings and uniforms.
//
// `gemm` — implicit GEMM. Per group g (workgroup_id.z), the convolution is the product
//   out[m, n] = Σ_k  A[m, k] · B[k, n]
// with M = Cout/groups (output channels of the group), N = batch·Ho·Wo (output pixels) and
// K = (C/groups)·kH·kW. A is the group's weights, read in place: w (Cout, C/groups, kH, kW) is
// row-major M×K. B is the im2col matrix of x, never stored: B[k, n] is computed on the fly as
// x[b, g·C/groups + ci, oy·sH - padTop + ky·dH, ox·sW - padLeft + kx·dW] (0 outside the input).
// One workgroup computes a TM×TN tile of out (TM = WG_Y·RM channels, TN = WG_X·RN pixels):
// for each K-slice of TK it stages an A tile (TM×TK) and a B tile (TK×TN) in workgroup memory,
// barriers, and each invocation (tx, ty) accumulates an RM×RN block in registers — channels
// ty + i·WG_Y, pixels tx + j·WG_X, so stores of neighbouring invocations are contiguous.
// Bias and the fused activation are applied at the store. The tile grid (tiles of M × tiles of
// N) may be folded into y: the linear tile id is wid.x + wid.y · nwg.x.
//
// `direct` — the naive reference kernel (debug.forceNaive): one invocation computes one output
// value with a plain loop over its window; one workgroup computes WG consecutive outputs (1-D,
// folded into y when large).
//
// Requires the activation prelude.

// Tiling of `gemm` (see CONV2D_TUNING in kernels/conv2d.ts). RM and RN are at most MAX_R.
override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
override RM: u32 = 4u;
override RN: u32 = 4u;
override TK: u32 = 16u;
// Workgroup size of `direct`.
override WG: u32 = 64u;
// 1 when the bias binding holds a bias (otherwise it aliases the weights and is not read).
override HAS_BIAS: u32 = 0u;

const MAX_R: u32 = 4u;
override TM: u32 = WG_Y * RM;
override TN: u32 = WG_X * RN;
override WGS: u32 = WG_X * WG_Y;
override A_TILE: u32 = TM * TK;
override B_TILE: u32 = TK * TN;

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
  // C / groups and Cout / groups (GEMM M).
  cg: u32,
  m: u32,
  // GEMM K = cg·kh·kw, and N = batch·ho·wo.
  k: u32,
  n: u32,
  // Tiles of `gemm` along M and N.
  tiles_m: u32,
  tiles_n: u32,
  // Number of output values (`direct`).
  total: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;     // (N, C, H, W)
@group(0) @binding(2) var<storage, read> wt: array<f32>;    // (Cout, C/groups, kH, kW)
@group(0) @binding(3) var<storage, read> bias: array<f32>;  // (Cout), if HAS_BIAS
@group(0) @binding(4) var<storage, read_write> out: array<f32>;  // (N, Cout, Ho, Wo)

// A tile, k-major: a_tile[kk · TM + mm]. B tile, k-major: b_tile[kk · TN + nn].
var<workgroup> a_tile: array<f32, A_TILE>;
var<workgroup> b_tile: array<f32, B_TILE>;

fn finish(v: f32, co: u32) -> f32 {
  var s = v;
  if (HAS_BIAS == 1u) { s += bias[co]; }
  return activate(s);
}

@compute @workgroup_size(WG_X, WG_Y)
fn gemm(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid3: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let tile = wid.x + wid.y * nwg.x;
  // Uniform per workgroup, so the barriers below stay in uniform control flow.
  if (tile >= p.tiles_m * p.tiles_n) { return; }
  let g = wid.z;
  let m0 = (tile / p.tiles_n) * TM;
  let n0 = (tile % p.tiles_n) * TN;
  let khw = p.kh * p.kw;
  let hw = p.h * p.w;
  let hw_out = p.ho * p.wo;

  // A loads: this invocation always loads K column `a_k` of rows a_row0, a_row0 + WGS/TK, ...
  let a_k = lid % TK;
  let a_row0 = lid / TK;
  let w_group = g * p.m * p.k;

  // B loads: this invocation always loads pixel column `b_n` of rows b_row0, b_row0 + WGS/TN, ...
  // so the pixel's coordinates are decoded once here, not per K-slice.
  let b_n = lid % TN;
  let b_row0 = lid / TN;
  let n_load = n0 + b_n;
  let n_ok = n_load < p.n;
  let img = n_load / hw_out;
  let pix = n_load % hw_out;
  let iy0 = i32((pix / p.wo) * p.sh) - p.pad_top;
  let ix0 = i32((pix % p.wo) * p.sw) - p.pad_left;
  let x_base = (img * p.c + g * p.cg) * hw;

  var acc: array<array<f32, MAX_R>, MAX_R>;
  for (var k0 = 0u; k0 < p.k; k0 += TK) {
    let k_a = k0 + a_k;
    for (var r = a_row0; r < TM; r += WGS / TK) {
      let m = m0 + r;
      var v = 0.0;
      if (m < p.m && k_a < p.k) { v = wt[w_group + m * p.k + k_a]; }
      a_tile[a_k * TM + r] = v;
    }
    for (var r = b_row0; r < TK; r += WGS / TN) {
      let k = k0 + r;
      var v = 0.0;
      if (n_ok && k < p.k) {
        let ci = k / khw;
        let kk = k % khw;
        let iy = iy0 + i32((kk / p.kw) * p.dh);
        let ix = ix0 + i32((kk % p.kw) * p.dw);
        if (iy >= 0 && iy < i32(p.h) && ix >= 0 && ix < i32(p.w)) {
          v = x[x_base + ci * hw + u32(iy) * p.w + u32(ix)];
        }
      }
      b_tile[r * TN + b_n] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      var av: array<f32, MAX_R>;
      var bv: array<f32, MAX_R>;
      for (var i = 0u; i < RM; i++) { av[i] = a_tile[kk * TM + lid3.y + i * WG_Y]; }
      for (var j = 0u; j < RN; j++) { bv[j] = b_tile[kk * TN + lid3.x + j * WG_X]; }
      for (var i = 0u; i < RM; i++) {
        for (var j = 0u; j < RN; j++) {
          acc[i][j] = fma(av[i], bv[j], acc[i][j]);
        }
      }
    }
    workgroupBarrier();
  }

  for (var j = 0u; j < RN; j++) {
    let n = n0 + lid3.x + j * WG_X;
    if (n >= p.n) { break; }
    let img_s = n / hw_out;
    let pix_s = n % hw_out;
    for (var i = 0u; i < RM; i++) {
      let m = m0 + lid3.y + i * WG_Y;
      if (m >= p.m) { break; }
      let co = g * p.m + m;
      out[(img_s * p.cout + co) * hw_out + pix_s] = finish(acc[i][j], co);
    }
  }
}

@compute @workgroup_size(WG)
fn direct(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * WG;
  if (idx >= p.total) { return; }
  let ox = idx % p.wo;
  let oy = (idx / p.wo) % p.ho;
  let co = (idx / (p.wo * p.ho)) % p.cout;
  let img = idx / (p.wo * p.ho * p.cout);
  let g = co / p.m;
  var s = 0.0;
  for (var ci = 0u; ci < p.cg; ci++) {
    let x_base = (img * p.c + g * p.cg + ci) * p.h * p.w;
    let w_base = (co * p.cg + ci) * p.kh * p.kw;
    for (var ky = 0u; ky < p.kh; ky++) {
      let iy = i32(oy * p.sh + ky * p.dh) - p.pad_top;
      if (iy < 0 || iy >= i32(p.h)) { continue; }
      for (var kx = 0u; kx < p.kw; kx++) {
        let ix = i32(ox * p.sw + kx * p.dw) - p.pad_left;
        if (ix < 0 || ix >= i32(p.w)) { continue; }
        s += x[x_base + u32(iy) * p.w + u32(ix)] * wt[w_base + ky * p.kw + kx];
      }
    }
  }
  out[idx] = finish(s, co);
}
