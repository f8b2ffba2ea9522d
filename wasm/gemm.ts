// The GEMM microkernel: one 4×8 tile of C = A·B, register-tiled (eight f32x4 accumulators).
// A is read by rows (one scalar splat per row and k), B by 8-wide rows of a panel; the epilogue
// adds a bias (per row or per column), applies the activation and stores the tile, whole or the
// mr×nr corner of it at the edges, row-major or transposed.

import { act4 } from './common';

/**
 * C[0..mr)[0..nr) = act(Σ_k A[r][k]·B[k][c] + bias), mr ≤ 4, nr ≤ 8.
 * a: A's first row, lda its row stride (bytes); b: B's first row, ldb its row stride (bytes),
 * at least 8 readable floats per row; c: C's first element, ldc its row stride (bytes), or with
 * `trans` C is stored transposed (element (r, j) at c + j·ldc + r·4).
 * biasRow: one value per row of the tile (0: none); biasCol: one per column (0: none).
 * tmp: 128 bytes of scratch for edge tiles.
 */
export function tile4x8(
  a: usize, lda: usize, b: usize, ldb: usize, K: i32,
  c: usize, ldc: usize, mr: i32, nr: i32, trans: bool,
  biasRow: usize, biasCol: usize, code: i32, actA: f32, actB: f32, tmp: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  // Rows past mr read row 0 again (their results are not stored): no read outside A.
  const a0 = a;
  const a1 = mr > 1 ? a + lda : a;
  const a2 = mr > 2 ? a + 2 * lda : a;
  const a3 = mr > 3 ? a + 3 * lda : a;
  let bp = b;
  let off: usize = 0;
  let k = 0;
  for (; k + 1 < K; k += 2) {
    let b0 = v128.load(bp);
    let b1 = v128.load(bp, 16);
    let x = v128.load32_splat(a0 + off);
    c00 = f32x4.add(c00, f32x4.mul(x, b0));
    c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(a1 + off);
    c10 = f32x4.add(c10, f32x4.mul(x, b0));
    c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(a2 + off);
    c20 = f32x4.add(c20, f32x4.mul(x, b0));
    c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(a3 + off);
    c30 = f32x4.add(c30, f32x4.mul(x, b0));
    c31 = f32x4.add(c31, f32x4.mul(x, b1));
    bp += ldb;
    b0 = v128.load(bp);
    b1 = v128.load(bp, 16);
    x = v128.load32_splat(a0 + off, 4);
    c00 = f32x4.add(c00, f32x4.mul(x, b0));
    c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(a1 + off, 4);
    c10 = f32x4.add(c10, f32x4.mul(x, b0));
    c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(a2 + off, 4);
    c20 = f32x4.add(c20, f32x4.mul(x, b0));
    c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(a3 + off, 4);
    c30 = f32x4.add(c30, f32x4.mul(x, b0));
    c31 = f32x4.add(c31, f32x4.mul(x, b1));
    bp += ldb;
    off += 8;
  }
  if (k < K) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let x = v128.load32_splat(a0 + off);
    c00 = f32x4.add(c00, f32x4.mul(x, b0));
    c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(a1 + off);
    c10 = f32x4.add(c10, f32x4.mul(x, b0));
    c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(a2 + off);
    c20 = f32x4.add(c20, f32x4.mul(x, b0));
    c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(a3 + off);
    c30 = f32x4.add(c30, f32x4.mul(x, b0));
    c31 = f32x4.add(c31, f32x4.mul(x, b1));
  }
  if (biasRow != 0) {
    let v = v128.load32_splat(biasRow);
    c00 = f32x4.add(c00, v);
    c01 = f32x4.add(c01, v);
    if (mr > 1) {
      v = v128.load32_splat(biasRow, 4);
      c10 = f32x4.add(c10, v);
      c11 = f32x4.add(c11, v);
    }
    if (mr > 2) {
      v = v128.load32_splat(biasRow, 8);
      c20 = f32x4.add(c20, v);
      c21 = f32x4.add(c21, v);
    }
    if (mr > 3) {
      v = v128.load32_splat(biasRow, 12);
      c30 = f32x4.add(c30, v);
      c31 = f32x4.add(c31, v);
    }
  }
  if (biasCol != 0) {
    // Columns past nr read the last bias again (not stored).
    let v0: v128, v1: v128;
    if (nr == 8) {
      v0 = v128.load(biasCol);
      v1 = v128.load(biasCol, 16);
    } else {
      for (let j = 0; j < 8; j++) store<f32>(tmp + (<usize>j << 2), load<f32>(biasCol + (<usize>(j < nr ? j : nr - 1) << 2)));
      v0 = v128.load(tmp);
      v1 = v128.load(tmp, 16);
    }
    c00 = f32x4.add(c00, v0); c01 = f32x4.add(c01, v1);
    c10 = f32x4.add(c10, v0); c11 = f32x4.add(c11, v1);
    c20 = f32x4.add(c20, v0); c21 = f32x4.add(c21, v1);
    c30 = f32x4.add(c30, v0); c31 = f32x4.add(c31, v1);
  }
  if (code != 0) {
    c00 = act4(c00, code, actA, actB); c01 = act4(c01, code, actA, actB);
    c10 = act4(c10, code, actA, actB); c11 = act4(c11, code, actA, actB);
    c20 = act4(c20, code, actA, actB); c21 = act4(c21, code, actA, actB);
    c30 = act4(c30, code, actA, actB); c31 = act4(c31, code, actA, actB);
  }
  if (!trans && nr == 8) {
    v128.store(c, c00); v128.store(c, c01, 16);
    if (mr > 1) { v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16); }
    if (mr > 2) { v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16); }
    if (mr > 3) { v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16); }
    return;
  }
  v128.store(tmp, c00); v128.store(tmp, c01, 16);
  v128.store(tmp, c10, 32); v128.store(tmp, c11, 48);
  v128.store(tmp, c20, 64); v128.store(tmp, c21, 80);
  v128.store(tmp, c30, 96); v128.store(tmp, c31, 112);
  for (let r = 0; r < mr; r++) {
    for (let j = 0; j < nr; j++) {
      const v = load<f32>(tmp + (<usize>(r * 8 + j) << 2));
      if (trans) store<f32>(c + <usize>j * ldc + (<usize>r << 2), v);
      else store<f32>(c + <usize>r * ldc + (<usize>j << 2), v);
    }
  }
}
