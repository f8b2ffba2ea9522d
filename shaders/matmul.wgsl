// Matrix products: out[b] = activate(op(A[b]) · op(B[b]) + bias), batched, where op() is the
// identity or a transpose (overrides TRANSPOSE_A / TRANSPOSE_B). With DISTANCE = 1 the
// product a·b becomes the squared difference (a − b)², which is LeNet-5's RBF layer:
// x (N, F) against centers (K, F) with TRANSPOSE_B = 1. Requires the activation prelude.
//
// Entry `tiled`: one workgroup (WG_X × WG_Y invocations, default 16 × 16) computes a
// TILE_M × TILE_N tile of one output matrix (TILE_M = 4·WG_Y, TILE_N = 4·WG_X: 64 × 64),
// stepping through K in slices of TILE_K staged in workgroup memory (both slices stored
// k-major, so the inner loop reads 4 consecutive rows of A and 4 consecutive columns of B).
// One invocation computes a 4 × 4 register block: rows 4·ty..4·ty+3, columns 4·tx..4·tx+3.
// The slices are loaded 4 consecutive values at a time along each operand's contiguous
// dimension: as one vec4 when that dimension is a multiple of 4 (VEC4_A / VEC4_B), else as 4
// scalars. Loads outside the matrices read 0 (sizes need not divide the tile); stores are
// bound-checked. Bias and activation are applied at the store. A K row of the A slice is
// A_ROW = TILE_M + 2 floats, so the stores of consecutive invocations (4 K rows apart when A
// is stored (M, K)) fall in different banks; the B slice is vec4s, B_ROW4 = WG_X rounded up
// to odd per K row, and the inner loop reads an invocation's 4 columns as one vec4.
//
// Split-K (splits > 1, PARTIAL = 1; kernels/split_k.ts): workgroup id z is
// batch matrix · splits + s, and split s reduces only K values s·k_chunk .. (s+1)·k_chunk - 1,
// writing its raw sums to out[s·total + i] (out is then the (splits, B·M·N) partials);
// shaders/split_sum.wgsl adds them and applies bias and activation.
//
// Entry `gemv`: small M (≤ 4 rows, batch-1 dense layers) with B transposed (stored (N, K),
// the dense layout) and A not. One workgroup (WG_X × WG_Y invocations, default 32 × 8)
// computes WG_Y output columns for all M rows; the WG_X invocations of a column split its K
// reduction: invocation x takes the quads k = 4·x, 4·(x + WG_X), … of row n of B and of every
// row of A (consecutive invocations read consecutive quads; one vec4 load each when K is a
// multiple of 4), accumulating one partial sum per row in a vec4 (component m = row m). The
// partials are summed by a tree reduction in workgroup memory (WG_X a power of two); the x = 0
// invocation applies bias and activation and stores. No tile of padding, log2(WG_X) barriers.
// With split-K (as `tiled`: z = batch matrix · splits + s) the workgroup reduces only its
// chunk of K and stores the raw sums.
//
// Entry `naive`: one invocation computes one output element straight from global memory
// (the debug path, `forceNaive`).
//
// All: workgroup id z → batch matrix (+ params.batch_base, when the batch is split across
// dispatches; `tiled` with split-K: batch matrix · splits + split). `tiled`, `naive`: x → column (tile), y → row (tile); `gemv`: x → column block.

override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
// Multiple of 4.
override TILE_K: u32 = 16u;
override TRANSPOSE_A: u32 = 0u;
override TRANSPOSE_B: u32 = 0u;
// 1 when the operand's contiguous dimension (A: K, or M transposed; B: N, or K transposed) is a multiple of 4.
override VEC4_A: u32 = 0u;
override VEC4_B: u32 = 0u;
override HAS_BIAS: u32 = 0u;
override DISTANCE: u32 = 0u;
// 1 when `tiled` writes split-K partial sums (no epilogue), 0 when it writes the output.
override PARTIAL: u32 = 0u;

// The register block per invocation: fixed, since function-scope arrays need constant sizes.
const RM: u32 = 4u;
const RN: u32 = 4u;

// a and b are float arrays viewed as vec4 (tensor buffers are padded to 16 bytes).
// Uniforms: MatmulParams, generated from MATMUL_PARAMS in src/backends/webgpu/kernels/matmul.ts.
@group(0) @binding(0) var<uniform> params: MatmulParams;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;  // (B, M, K), or (B, K, M) transposed
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;  // (B, K, N), or (B, N, K) transposed
@group(0) @binding(3) var<storage, read> bias: array<f32>;     // (N); a dummy when HAS_BIAS = 0
@group(0) @binding(4) var<storage, read_write> out: array<f32>;  // (B, M, N)

// Row lengths of the slices (see the header): A_ROW floats, B_ROW4 vec4s.
override A_ROW: u32 = WG_Y * RM + 2u;
override B_ROW4: u32 = WG_X | 1u;
var<workgroup> a_tile: array<f32, TILE_K * A_ROW>;  // (TILE_K, TILE_M), rows padded to A_ROW
var<workgroup> b_tile: array<vec4<f32>, TILE_K * B_ROW4>;  // (TILE_K, TILE_N / 4), rows padded to B_ROW4
// gemv: partial sums (WG_Y columns, WG_X splits of K); component m is output row m.
var<workgroup> partials: array<vec4<f32>, WG_X * WG_Y>;

fn a_at(i: u32) -> f32 { return a[i >> 2u][i & 3u]; }
fn b_at(i: u32) -> f32 { return b[i >> 2u][i & 3u]; }

/** op(A)[m, k] of the matrix at element offset `off`; 0 outside. */
fn load_a(off: u32, m: u32, k: u32) -> f32 {
  if (m >= params.M || k >= params.K) { return 0.0; }
  if (TRANSPOSE_A == 1u) { return a_at(off + k * params.M + m); }
  return a_at(off + m * params.K + k);
}

/** op(B)[k, n] of the matrix at element offset `off`; 0 outside. */
fn load_b(off: u32, k: u32, n: u32) -> f32 {
  if (k >= params.K || n >= params.N) { return 0.0; }
  if (TRANSPOSE_B == 1u) { return b_at(off + n * params.K + k); }
  return b_at(off + k * params.N + n);
}

/**
 * A stored (rows, cols) at element offset `off`, values [r, c..c+3] (c a multiple of 4); 0 outside.
 * With VEC4 = 1 (cols a multiple of 4) the four are all inside or all outside and are one load.
 */
fn load4_a(off: u32, r: u32, c: u32, rows: u32, cols: u32) -> vec4<f32> {
  if (r >= rows || c >= cols) { return vec4<f32>(0.0); }
  let i = off + r * cols + c;
  if (VEC4_A == 1u) { return a[i >> 2u]; }
  var v = vec4<f32>(0.0);
  for (var j = 0u; j < 4u; j++) { if (c + j < cols) { v[j] = a_at(i + j); } }
  return v;
}

fn load4_b(off: u32, r: u32, c: u32, rows: u32, cols: u32) -> vec4<f32> {
  if (r >= rows || c >= cols) { return vec4<f32>(0.0); }
  let i = off + r * cols + c;
  if (VEC4_B == 1u) { return b[i >> 2u]; }
  var v = vec4<f32>(0.0);
  for (var j = 0u; j < 4u; j++) { if (c + j < cols) { v[j] = b_at(i + j); } }
  return v;
}

fn finish(v: f32, n: u32) -> f32 {
  var r = v;
  if (HAS_BIAS == 1u) { r += bias[n]; }
  return activate(r);
}

@compute @workgroup_size(WG_X, WG_Y)
fn tiled(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tile_m = WG_Y * RM;
  let tile_n = WG_X * RN;
  let threads = WG_X * WG_Y;
  let tid = lid.y * WG_X + lid.x;
  let batch = wid.z / params.splits + params.batch_base;
  let split = wid.z % params.splits;
  let k_begin = split * params.k_chunk;
  let k_end = min(params.K, k_begin + params.k_chunk);
  let a_off = batch * params.a_batch_stride;
  let b_off = batch * params.b_batch_stride;
  let row0 = wid.y * tile_m;
  let col0 = wid.x * tile_n;

  var acc: array<vec4<f32>, RM>;
  for (var k0 = k_begin; k0 < k_end; k0 += TILE_K) {
    // Stage the slices, 4 values per load along the contiguous dimension; consecutive
    // invocations take consecutive quads of one row of the stored matrix.
    for (var q = tid; q < tile_m * TILE_K / 4u; q += threads) {
      if (TRANSPOSE_A == 1u) {
        // Stored (K, M): quads along m.
        let m = (q % (tile_m / 4u)) * 4u;
        let k = q / (tile_m / 4u);
        let v = load4_a(a_off, k0 + k, row0 + m, params.K, params.M);
        for (var j = 0u; j < 4u; j++) { a_tile[k * A_ROW + m + j] = v[j]; }
      } else {
        // Stored (M, K): quads along k.
        let k = (q % (TILE_K / 4u)) * 4u;
        let m = q / (TILE_K / 4u);
        let v = load4_a(a_off, row0 + m, k0 + k, params.M, params.K);
        for (var j = 0u; j < 4u; j++) { a_tile[(k + j) * A_ROW + m] = v[j]; }
      }
    }
    for (var q = tid; q < tile_n * TILE_K / 4u; q += threads) {
      if (TRANSPOSE_B == 1u) {
        // Stored (N, K): quads along k.
        let k = (q % (TILE_K / 4u)) * 4u;
        let n = q / (TILE_K / 4u);
        let v = load4_b(b_off, col0 + n, k0 + k, params.N, params.K);
        for (var j = 0u; j < 4u; j++) { b_tile[(k + j) * B_ROW4 + n / 4u][n % 4u] = v[j]; }
      } else {
        // Stored (K, N): quads along n.
        let n = (q % (tile_n / 4u)) * 4u;
        let k = q / (tile_n / 4u);
        b_tile[k * B_ROW4 + n / 4u] = load4_b(b_off, k0 + k, col0 + n, params.K, params.N);
      }
    }
    workgroupBarrier();

    for (var k = 0u; k < TILE_K; k++) {
      let bv = b_tile[k * B_ROW4 + lid.x];
      let ao = k * A_ROW + lid.y * RM;
      for (var i = 0u; i < RM; i++) {
        let av = vec4<f32>(a_tile[ao + i]);
        if (DISTANCE == 1u) {
          let d = av - bv;
          acc[i] = fma(d, d, acc[i]);
        } else {
          acc[i] = fma(av, bv, acc[i]);
        }
      }
    }
    workgroupBarrier();
  }

  let out_off = split * params.total + batch * params.M * params.N;
  for (var i = 0u; i < RM; i++) {
    let m = row0 + lid.y * RM + i;
    if (m >= params.M) { break; }
    for (var j = 0u; j < RN; j++) {
      let n = col0 + lid.x * RN + j;
      if (n >= params.N) { break; }
      if (PARTIAL == 1u) {
        out[out_off + m * params.N + n] = acc[i][j];
      } else {
        out[out_off + m * params.N + n] = finish(acc[i][j], n);
      }
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn gemv(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let batch = wid.z / params.splits + params.batch_base;
  let split = wid.z % params.splits;
  // Chunks are multiples of 4, so no quad straddles two.
  let k_begin = split * params.k_chunk;
  let k_end = min(params.K, k_begin + params.k_chunk);
  let a_off = batch * params.a_batch_stride;
  let b_off = batch * params.b_batch_stride;
  let n = wid.x * WG_Y + lid.y;
  let rows = min(params.M, 4u);

  var acc = vec4<f32>(0.0);
  if (n < params.N) {
    for (var k = k_begin + lid.x * 4u; k < k_end; k += WG_X * 4u) {
      // B stored (N, K), A stored (M, K): quads along k; outside K both read 0.
      let bv = load4_b(b_off, n, k, params.N, params.K);
      for (var m = 0u; m < rows; m++) {
        let av = load4_a(a_off, m, k, params.M, params.K);
        if (DISTANCE == 1u) {
          let d = av - bv;
          acc[m] += dot(d, d);
        } else {
          acc[m] += dot(av, bv);
        }
      }
    }
  }

  // Tree reduction over the K splits of each column (uniform control flow: WG_X is constant).
  let base = lid.y * WG_X;
  partials[base + lid.x] = acc;
  workgroupBarrier();
  for (var s = WG_X / 2u; s > 0u; s >>= 1u) {
    if (lid.x < s) { partials[base + lid.x] += partials[base + lid.x + s]; }
    workgroupBarrier();
  }

  if (lid.x == 0u && n < params.N) {
    let sums = partials[base];
    let out_off = split * params.total + batch * params.M * params.N;
    for (var m = 0u; m < rows; m++) {
      if (PARTIAL == 1u) {
        out[out_off + m * params.N + n] = sums[m];
      } else {
        out[out_off + m * params.N + n] = finish(sums[m], n);
      }
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn naive(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let n = gid.x;
  let m = gid.y;
  if (m >= params.M || n >= params.N) { return; }
  let batch = wid.z + params.batch_base;
  let a_off = batch * params.a_batch_stride;
  let b_off = batch * params.b_batch_stride;
  var acc = 0.0;
  // (params.splits is 1: the naive kernel never splits K.)
  for (var k = 0u; k < params.K; k++) {
    let av = load_a(a_off, m, k);
    let bv = load_b(b_off, k, n);
    if (DISTANCE == 1u) {
      acc += (av - bv) * (av - bv);
    } else {
      acc = fma(av, bv, acc);
    }
  }
  out[batch * params.M * params.N + m * params.N + n] = finish(acc, n);
}
