// Pooling window prelude, prepended to pool.wgsl and pool_backward.wgsl after their uniforms
// (`params: PoolParams`). Not a kernel on its own: it holds the specialisation constants the
// forward and backward share and the arithmetic of one pooling window (max/avg and adaptive bins).

// `pool2d` and `global_pool` (and their backward): 1 max, 0 average.
override POOL_MAX: u32 = 1u;
// Average pooling: 1 divides by the window clipped to the padded input (PyTorch's
// count_include_pad), 0 by the number of real input cells in the window.
override COUNT_PAD: u32 = 0u;

// Window o along one axis (stride s, leading padding pad, size k, input extent n): its first and
// one-past-last input coordinate (the first negative inside the padding), then the same clipped
// to the real input [0, n).
fn window_span(o: u32, s: u32, pad: u32, k: u32, n: u32) -> vec4<i32> {
  let start = i32(o * s) - i32(pad);
  let end = start + i32(k);
  return vec4<i32>(start, end, max(start, 0), min(end, i32(n)));
}

// Adaptive pooling of n cells into m bins: bin o holds cells floor(o·n/m) .. ceil((o+1)·n/m) − 1,
// returned as [start, end). With n and m swapped, the bins that hold cell o.
fn adaptive_bin(o: u32, n: u32, m: u32) -> vec2<u32> {
  return vec2<u32>((o * n) / m, ((o + 1u) * n + m - 1u) / m);
}

// The divisor of an average over the window with row span r and column span c (`window_span`).
fn avg_divisor(r: vec4<i32>, c: vec4<i32>) -> f32 {
  if (COUNT_PAD == 1u) {
    // Clipped to the padded input: with ceil mode a window may overhang the bottom/right padding.
    let hp = min(r.y, i32(params.h + params.pad_bottom)) - r.x;
    let wp = min(c.y, i32(params.w + params.pad_right)) - c.x;
    return f32(u32(hp * wp));
  }
  return f32(u32((r.w - r.z) * (c.w - c.z)));
}
