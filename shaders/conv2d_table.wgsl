// 2-D convolution in connection-table mode (LeNet-5's C3), NCHW, direct.
// Output map o reads the input maps indices[offsets[o] .. offsets[o+1]); the j-th (o, input)
// pair in that order has its own kH×kW kernel, w[j]. Such layers are tiny, so there is no
// tiling: one invocation computes one output value with a plain loop over its connected maps
// and window; one workgroup computes WG consecutive outputs (1-D, folded into y when large).
// Requires the activation prelude.

override WG: u32 = 64u;
// 1 when the bias binding holds a bias (otherwise it aliases the weights and is not read).
override HAS_BIAS: u32 = 0u;

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
  total: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;        // (N, C, H, W)
@group(0) @binding(2) var<storage, read> wt: array<f32>;       // (Σ|table[o]|, kH, kW)
@group(0) @binding(3) var<storage, read> bias: array<f32>;     // (Cout), if HAS_BIAS
@group(0) @binding(4) var<storage, read> offsets: array<u32>;  // (Cout + 1)
@group(0) @binding(5) var<storage, read> indices: array<u32>;  // (Σ|table[o]|)
@group(0) @binding(6) var<storage, read_write> out: array<f32>;  // (N, Cout, Ho, Wo)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.x + gid.y * nwg.x * WG;
  if (idx >= p.total) { return; }
  let ox = idx % p.wo;
  let oy = (idx / p.wo) % p.ho;
  let co = (idx / (p.wo * p.ho)) % p.cout;
  let img = idx / (p.wo * p.ho * p.cout);
  var s = 0.0;
  for (var j = offsets[co]; j < offsets[co + 1u]; j++) {
    let x_base = (img * p.c + indices[j]) * p.h * p.w;
    let w_base = j * p.kh * p.kw;
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
  if (HAS_BIAS == 1u) { s += bias[co]; }
  out[idx] = activate(s);
}
