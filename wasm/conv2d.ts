// conv2d forward (NCHW, dense and grouped) as im2col + GEMM.
// The work is cut into units (image n, group g, a block of `nb` output pixels, a chunk of the
// group's output channels); a thread takes a contiguous range of units. For each unit it gathers
// the block's im2col rows into its scratch (K × nb, K = C/groups·kH·kW; a 1×1 stride-1 unpadded
// conv reads the input directly), then runs the 4×8 microkernel over the chunk's output channels
// with bias and activation in the epilogue.

import { argI, argF, argP, shareBegin } from './common';
import { tile4x8 } from './gemm';

/**
 * Writes rows k ∈ [0, K) of the im2col matrix for output pixels [p0, p0 + wb) of image n,
 * group g into `col` (row stride `ld` bytes).
 */
export function im2col(
  x: usize, col: usize, ld: usize, p0: i32, wb: i32,
  C: i32, H: i32, W: i32, Cg: i32, cBase: i32, Wo: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
): void {
  let row = col;
  for (let ci = 0; ci < Cg; ci++) {
    const plane = x + (<usize>(cBase + ci) * <usize>H * <usize>W << 2);
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        let p = p0;
        let dst = row;
        const end = p0 + wb;
        while (p < end) {
          const oy = p / Wo;
          const ox = p - oy * Wo;
          const seg = min(Wo - ox, end - p);
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= H) {
            memory.fill(dst, 0, <usize>seg << 2);
          } else {
            const src = plane + (<usize>(iy * W) << 2);
            const ix0 = ox * sw - pl + kx * dw;
            if (sw == 1) {
              // Columns j ∈ [0, seg) read ix0 + j: valid for j ∈ [lo, hi).
              const lo = min(max(-ix0, 0), seg);
              const hi = max(min(W - ix0, seg), lo);
              if (lo > 0) memory.fill(dst, 0, <usize>lo << 2);
              if (hi > lo) memory.copy(dst + (<usize>lo << 2), src + (<usize>(ix0 + lo) << 2), <usize>(hi - lo) << 2);
              if (seg > hi) memory.fill(dst + (<usize>hi << 2), 0, <usize>(seg - hi) << 2);
            } else {
              for (let j = 0; j < seg; j++) {
                const ix = ix0 + j * sw;
                store<f32>(dst + (<usize>j << 2), <u32>ix < <u32>W ? load<f32>(src + (<usize>ix << 2)) : 0);
              }
            }
          }
          dst += <usize>seg << 2;
          p += seg;
        }
        row += ld;
      }
    }
  }
}

/**
 * args: x, w, bias (0: none), y, scratch, scratch bytes per thread, N, C, H, W, Cout, Ho, Wo,
 * kH, kW, sH, sW, padTop, padLeft, dH, dW, groups, act code, act a (f32), act b (f32),
 * nb (pixels per block, a multiple of 8), mChunks (chunks of each group's output channels).
 */
export function conv2d(args: usize, tid: i32, nt: i32): void {
  const x = argP(args, 0), w = argP(args, 1), bias = argP(args, 2), y = argP(args, 3);
  const scratch = argP(args, 4) + <usize>argI(args, 5) * <usize>tid;
  const N = argI(args, 6), C = argI(args, 7), H = argI(args, 8), W = argI(args, 9);
  const Cout = argI(args, 10), Ho = argI(args, 11), Wo = argI(args, 12);
  const kh = argI(args, 13), kw = argI(args, 14), sh = argI(args, 15), sw = argI(args, 16);
  const pt = argI(args, 17), pl = argI(args, 18), dh = argI(args, 19), dw = argI(args, 20);
  const G = argI(args, 21), code = argI(args, 22), actA = argF(args, 23), actB = argF(args, 24);
  const nb = argI(args, 25), mChunks = argI(args, 26);

  const Cg = C / G, Coutg = Cout / G;
  const K = Cg * kh * kw;
  const P = Ho * Wo;
  const blocks = (P + nb - 1) / nb;
  const units = N * G * blocks * mChunks;
  const u0 = shareBegin(units, tid, nt), u1 = shareBegin(units, tid + 1, nt);
  const tmp = scratch;
  const col = scratch + 128;
  const ldCol = <usize>nb << 2;
  const direct = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && Ho == H && Wo == W;
  // Output channels per chunk, a multiple of 4.
  const mPer = ((Coutg + mChunks - 1) / mChunks + 3) & ~3;

  let lastBlock = -1; // the (n, g, block) whose im2col rows are in `col`
  for (let u = u0; u < u1; u++) {
    const mc = u % mChunks;
    const blk = u / mChunks; // (n·G + g)·blocks + b
    const b = blk % blocks;
    const ng = blk / blocks;
    const g = ng % G;
    const n = ng / G;
    const p0 = b * nb;
    const wb = min(nb, P - p0);
    const m0 = mc * mPer;
    const m1 = min(Coutg, m0 + mPer);
    if (m0 >= m1) continue;

    let bBase: usize, ldb: usize;
    if (direct) {
      bBase = x + ((<usize>(n * C + g * Cg) * <usize>P + <usize>p0) << 2);
      ldb = <usize>P << 2;
    } else {
      if (blk != lastBlock) {
        im2col(x + (<usize>(n * C) * <usize>H * <usize>W << 2), col, ldCol, p0, wb, C, H, W, Cg, g * Cg, Wo, kh, kw, sh, sw, pt, pl, dh, dw);
        lastBlock = blk;
      }
      bBase = col;
      ldb = ldCol;
    }
    const lda = <usize>K << 2;
    const ldc = <usize>P << 2;
    for (let m = m0; m < m1; m += 4) {
      const mr = min(4, m1 - m);
      const co = g * Coutg + m;
      const a = w + (<usize>co * <usize>K << 2);
      const yRow = y + ((<usize>(n * Cout + co) * <usize>P + <usize>p0) << 2);
      const bRow = bias != 0 ? bias + (<usize>co << 2) : 0;
      for (let j = 0; j < wb; j += 8) {
        tile4x8(a, lda, bBase + (<usize>j << 2), ldb, K, yRow + (<usize>j << 2), ldc, mr, min(8, wb - j), false, bRow, 0, code, actA, actB, tmp);
      }
    }
  }
}
