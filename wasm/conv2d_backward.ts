// conv2d's backward (NCHW, dense and grouped) as GEMMs on the forward's im2col and the 4×8
// microkernel. `dy` is the gradient at the pre-activation output (N, Cout, Ho, Wo).
//
// Weights: dwᵀ (K × Coutg) = Σ_n col_n (K × P) · dy_nᵀ (P × Coutg), per group, over blocks of
// nb output pixels (n, p) in order, a block spanning images when P is small: the block's im2col
// rows are A (read along pixels), the block of dy packed pixel-major is B, and each 4×8 tile is
// added into dw. The batch is cut into S slices, fixed by
// the shapes (not the thread count); slice s sums its images into partial s, and `sum_slices`
// adds the partials in order, so a single-channel first layer still has S units of work.
//
// Input: per (image, input channel) plane, dcol (kH·kW × P) = wᵀ (kH·kW × Coutg) · dy_n,g
// (Coutg × P), with the channel's wᵀ rows packed into scratch and dy read in place, block by
// block; col2im adds each block's rows into the plane. One thread owns a plane.
//
// Every output value is summed by one thread in an order fixed by the shapes alone.

import { argI, argP, shareBegin } from './common';
import { tile4x8 } from './gemm';
import { im2col } from './conv2d';

/**
 * args: x, dy, dw partials (S × Cout·K floats; dw itself when S = 1), scratch, scratch bytes per
 * thread, N, C, H, W, Cout, Ho, Wo, kH, kW, sH, sW, padTop, padLeft, dH, dW, groups,
 * nb (pixels per block, a multiple of 8), S (batch slices), channel chunks, output-channel chunk
 * (a multiple of 8), ldT (bytes per row of the packed dy block, ≥ chunk·4).
 */
export function conv2d_backward_weight(args: usize, tid: i32, nt: i32): void {
  const x = argP(args, 0), dy = argP(args, 1), part = argP(args, 2);
  const scratch = argP(args, 3) + <usize>argI(args, 4) * <usize>tid;
  const N = argI(args, 5), C = argI(args, 6), H = argI(args, 7), W = argI(args, 8);
  const Cout = argI(args, 9), Ho = argI(args, 10), Wo = argI(args, 11);
  const kh = argI(args, 12), kw = argI(args, 13), sh = argI(args, 14), sw = argI(args, 15);
  const pt = argI(args, 16), pl = argI(args, 17), dh = argI(args, 18), dw = argI(args, 19);
  const G = argI(args, 20), nb = argI(args, 21), S = argI(args, 22);
  const cChunks = argI(args, 23), coPer = argI(args, 24), ldT = <usize>argI(args, 25);

  const Cg = C / G, Coutg = Cout / G;
  const khw = kh * kw;
  const K = Cg * khw;
  const P = Ho * Wo;
  const HW = <usize>H * <usize>W;
  const cPer = (Cg + cChunks - 1) / cChunks;
  const coChunks = (Coutg + coPer - 1) / coPer;
  const units = S * G * cChunks * coChunks;
  const u0 = shareBegin(units, tid, nt), u1 = shareBegin(units, tid + 1, nt);
  const tmp = scratch;
  const tile = scratch + 128;
  const col = scratch + 256;
  const ldCol = <usize>nb << 2;
  const dyT = col + (<usize>(cPer * khw) * ldCol);
  const slice = <usize>Cout * <usize>K;

  for (let u = u0; u < u1; u++) {
    const mc = u % coChunks;
    let r = u / coChunks;
    const cc = r % cChunks;
    r /= cChunks;
    const g = r % G;
    const s = r / G;
    const c0 = cc * cPer, c1 = min(Cg, c0 + cPer);
    const co0 = mc * coPer, co1 = min(Coutg, co0 + coPer);
    if (c0 >= c1 || co0 >= co1) continue;
    const rows = (c1 - c0) * khw;
    const kk0 = c0 * khw;
    const dst = part + (<usize>s * slice << 2);
    for (let co = co0; co < co1; co++) {
      memory.fill(dst + ((<usize>(g * Coutg + co) * <usize>K + <usize>kk0) << 2), 0, <usize>rows << 2);
    }
    // The slice's output pixels q = n·P + p in blocks of nb, a block spanning images when P is small.
    const q0 = shareBegin(N, s, S) * P, q1 = shareBegin(N, s + 1, S) * P;
    for (let qb = q0; qb < q1; qb += nb) {
      const wb = min(nb, q1 - qb);
      for (let j = 0; j < wb; ) {
        const n = (qb + j) / P;
        const p0 = qb + j - n * P;
        const seg = min(P - p0, wb - j);
        im2col(x + ((<usize>(n * C) * HW) << 2), col + (<usize>j << 2), ldCol, p0, seg, C, H, W, c1 - c0, g * Cg + c0, Wo, kh, kw, sh, sw, pt, pl, dh, dw);
        // dy's block, pixel-major: dyT[j + p][co − co0].
        for (let co = co0; co < co1; co++) {
          const src = dy + ((<usize>(n * Cout + g * Coutg + co) * <usize>P + <usize>p0) << 2);
          const d = dyT + <usize>j * ldT + (<usize>(co - co0) << 2);
          for (let p = 0; p < seg; p++) store<f32>(d + <usize>p * ldT, load<f32>(src + (<usize>p << 2)));
        }
        j += seg;
      }
      for (let k = 0; k < rows; k += 4) {
        const mr = min(4, rows - k);
        for (let co = co0; co < co1; co += 8) {
          const nr = min(8, co1 - co);
          tile4x8(col + <usize>k * ldCol, ldCol, dyT + (<usize>(co - co0) << 2), ldT, wb, tile, 32, mr, nr, false, 0, 0, 0, 0, 0, tmp);
          // dw[g·Coutg + co + j][kk0 + k + i] += tile[i][j]
          for (let j = 0; j < nr; j++) {
            const row = dst + ((<usize>(g * Coutg + co + j) * <usize>K + <usize>(kk0 + k)) << 2);
            for (let i = 0; i < mr; i++) {
              const a = row + (<usize>i << 2);
              store<f32>(a, load<f32>(a) + load<f32>(tile + (<usize>(i * 8 + j) << 2)));
            }
          }
        }
      }
    }
  }
}

/** args: out, partials (S × count floats), count, S. out[i] = Σ_s partial_s[i], s in order. */
export function sum_slices(args: usize, tid: i32, nt: i32): void {
  const out = argP(args, 0), src = argP(args, 1);
  const count = argI(args, 2), S = argI(args, 3);
  const quads = (count + 3) / 4;
  const q0 = shareBegin(quads, tid, nt), q1 = shareBegin(quads, tid + 1, nt);
  const stride = <usize>count << 2;
  const e = min(q1 * 4, count & ~3);
  let i = q0 * 4;
  for (; i < e; i += 4) {
    const off = <usize>i << 2;
    let v = v128.load(src + off);
    for (let s = 1; s < S; s++) v = f32x4.add(v, v128.load(src + <usize>s * stride + off));
    v128.store(out + off, v);
  }
  for (; i < min(q1 * 4, count); i++) {
    const off = <usize>i << 2;
    let v = load<f32>(src + off);
    for (let s = 1; s < S; s++) v += load<f32>(src + <usize>s * stride + off);
    store<f32>(out + off, v);
  }
}

/**
 * Adds the rows of dcol (kH·kW rows of `wb` pixels from p0, row stride ld bytes) into one input
 * plane, where the forward's im2col read them from.
 */
function col2im(
  dcol: usize, ld: usize, p0: i32, wb: i32, plane: usize,
  H: i32, W: i32, Wo: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
): void {
  let row = dcol;
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      let p = p0;
      let src = row;
      const end = p0 + wb;
      while (p < end) {
        const oy = p / Wo;
        const ox = p - oy * Wo;
        const seg = min(Wo - ox, end - p);
        const iy = oy * sh - pt + ky * dh;
        if (iy >= 0 && iy < H) {
          const dst = plane + (<usize>(iy * W) << 2);
          const ix0 = ox * sw - pl + kx * dw;
          if (sw == 1) {
            const lo = min(max(-ix0, 0), seg);
            const hi = max(min(W - ix0, seg), lo);
            let j = lo;
            for (; j + 4 <= hi; j += 4) {
              const a = dst + (<usize>(ix0 + j) << 2);
              v128.store(a, f32x4.add(v128.load(a), v128.load(src + (<usize>j << 2))));
            }
            for (; j < hi; j++) {
              const a = dst + (<usize>(ix0 + j) << 2);
              store<f32>(a, load<f32>(a) + load<f32>(src + (<usize>j << 2)));
            }
          } else {
            for (let j = 0; j < seg; j++) {
              const ix = ix0 + j * sw;
              if (<u32>ix < <u32>W) {
                const a = dst + (<usize>ix << 2);
                store<f32>(a, load<f32>(a) + load<f32>(src + (<usize>j << 2)));
              }
            }
          }
        }
        src += <usize>seg << 2;
        p += seg;
      }
      row += ld;
    }
  }
}

/**
 * args: w, dy, dx, scratch, scratch bytes per thread, N, C, H, W, Cout, Ho, Wo, kH, kW, sH, sW,
 * padTop, padLeft, dH, dW, groups, nb (pixels per block, a multiple of 8).
 */
export function conv2d_backward_input(args: usize, tid: i32, nt: i32): void {
  const w = argP(args, 0), dy = argP(args, 1), dx = argP(args, 2);
  const scratch = argP(args, 3) + <usize>argI(args, 4) * <usize>tid;
  const N = argI(args, 5), C = argI(args, 6), H = argI(args, 7), W = argI(args, 8);
  const Cout = argI(args, 9), Ho = argI(args, 10), Wo = argI(args, 11);
  const kh = argI(args, 12), kw = argI(args, 13), sh = argI(args, 14), sw = argI(args, 15);
  const pt = argI(args, 16), pl = argI(args, 17), dh = argI(args, 18), dw = argI(args, 19);
  const G = argI(args, 20), nb = argI(args, 21);

  const Cg = C / G, Coutg = Cout / G;
  const khw = kh * kw;
  const K = Cg * khw;
  const P = Ho * Wo;
  const HW = <usize>H * <usize>W;
  const units = N * C;
  const u0 = shareBegin(units, tid, nt), u1 = shareBegin(units, tid + 1, nt);
  const tmp = scratch;
  const ldA = <usize>Coutg << 2;
  const wT = scratch + 128;
  const dcol = wT + ((<usize>khw * ldA + 63) & ~63);
  const ldCol = <usize>nb << 2;
  const ldDy = <usize>P << 2;

  let lastC = -1;
  for (let u = u0; u < u1; u++) {
    // Planes channel-major, so a thread packs each channel's wᵀ rows once.
    const n = u % N;
    const c = u / N;
    const g = c / Cg;
    const ci = c - g * Cg;
    if (c != lastC) {
      // wᵀ rows of channel c: wT[r][co] = w[g·Coutg + co][ci·kH·kW + r].
      for (let co = 0; co < Coutg; co++) {
        const src = w + ((<usize>(g * Coutg + co) * <usize>K + <usize>(ci * khw)) << 2);
        for (let r = 0; r < khw; r++) store<f32>(wT + <usize>r * ldA + (<usize>co << 2), load<f32>(src + (<usize>r << 2)));
      }
      lastC = c;
    }
    const plane = dx + ((<usize>(n * C + c) * HW) << 2);
    memory.fill(plane, 0, HW << 2);
    const dyBase = dy + ((<usize>(n * Cout + g * Coutg) * <usize>P) << 2);
    for (let p0 = 0; p0 < P; p0 += nb) {
      const wb = min(nb, P - p0);
      for (let r = 0; r < khw; r += 4) {
        const mr = min(4, khw - r);
        for (let j = 0; j < wb; j += 8) {
          tile4x8(wT + <usize>r * ldA, ldA, dyBase + (<usize>(p0 + j) << 2), ldDy, Coutg, dcol + <usize>r * ldCol + (<usize>j << 2), ldCol, mr, min(8, wb - j), false, 0, 0, 0, 0, 0, tmp);
        }
      }
      col2im(dcol, ldCol, p0, wb, plane, H, W, Wo, kh, kw, sh, sw, pt, pl, dh, dw);
    }
  }
}

/** args: dy, db, N, Cout, P (= Ho·Wo). db[co] = Σ_n Σ_p dy[n][co][p], one thread per channel. */
export function conv2d_backward_bias(args: usize, tid: i32, nt: i32): void {
  const dy = argP(args, 0), db = argP(args, 1);
  const N = argI(args, 2), Cout = argI(args, 3), P = argI(args, 4);
  const c0 = shareBegin(Cout, tid, nt), c1 = shareBegin(Cout, tid + 1, nt);
  const P4 = P & ~3;
  for (let co = c0; co < c1; co++) {
    let acc: f32 = 0;
    for (let n = 0; n < N; n++) {
      const row = dy + ((<usize>(n * Cout + co) * <usize>P) << 2);
      let v = f32x4.splat(0);
      for (let p = 0; p < P4; p += 4) v = f32x4.add(v, v128.load(row + (<usize>p << 2)));
      let s = f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
      for (let p = P4; p < P; p++) s += load<f32>(row + (<usize>p << 2));
      acc += s;
    }
    store<f32>(db + (<usize>co << 2), acc);
  }
}
