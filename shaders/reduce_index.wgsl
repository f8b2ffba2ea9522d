// Reduction index prelude, prepended to shaders/reduce.wgsl and reduce_backward.wgsl. Not a
// kernel on its own: it maps an output and a reduced element to their offsets in x, reading the
// kernel's `params: ReduceParams` (kept and reduced axes' sizes and strides in x) and the index
// prelude's `dim_at`.

// Offset in x of output o's first element.
fn base_of(o: u32) -> u32 {
  var rem = o;
  var off = 0u;
  for (var d = i32(params.kept_rank) - 1; d >= 0; d--) {
    let n = dim_at(params.kept_dims, u32(d));
    off += (rem % n) * dim_at(params.kept_strides, u32(d));
    rem /= n;
  }
  return off;
}

// Offset from there of reduced element r.
fn offset_of(r: u32) -> u32 {
  var rem = r;
  var off = 0u;
  for (var d = i32(params.red_rank) - 1; d >= 0; d--) {
    let n = dim_at(params.red_dims, u32(d));
    off += (rem % n) * dim_at(params.red_strides, u32(d));
    rem /= n;
  }
  return off;
}
