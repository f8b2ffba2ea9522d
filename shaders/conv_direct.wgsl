// Direct-convolution prelude, prepended to conv2d.wgsl and conv2d_table.wgsl, whose `direct` and
// `main` entry points are the naive reference kernels of debug.forceNaive. Not a kernel on its
// own: it reads the including kernel's uniforms `p` (Conv2dParams) and its `x` and `wt` bindings.

// s plus the sum, over the window of output (oy, ox), of x[x_base + iy·W + ix] · wt[w_base +
// ky·kW + kx], skipping the padding: one (input map, kernel) pair's share, added in scan order.
fn add_window(s: f32, x_base: u32, w_base: u32, oy: u32, ox: u32) -> f32 {
  var acc = s;
  for (var ky = 0u; ky < p.kh; ky++) {
    let iy = i32(oy * p.sh + ky * p.dh) - p.pad_top;
    if (iy < 0 || iy >= i32(p.h)) { continue; }
    for (var kx = 0u; kx < p.kw; kx++) {
      let ix = i32(ox * p.sw + kx * p.dw) - p.pad_left;
      if (ix < 0 || ix >= i32(p.w)) { continue; }
      acc += x[x_base + u32(iy) * p.w + u32(ix)] * wt[w_base + ky * p.kw + kx];
    }
  }
  return acc;
}
