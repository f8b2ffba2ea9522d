// Depthwise conv2d forward (NCHW, groups == C, one input channel per group): output channel co
// reads input channel co / M (M = Cout / C, the channel multiplier). A direct kernel: the GEMM
// path of conv2d.ts would run a K = kH·kW microkernel per channel, mostly im2col traffic.
// A thread takes a contiguous range of output rows (n, co, oy). Within a row, the columns whose
// taps all fall inside the input (the interior) are computed four at a time (f32x4 over ox;
// stride 1 loads four neighbours, stride 2 two vectors and their even lanes, other strides
// four scalars), the edges one at a time with their out-of-range taps skipped. Every output
// sums its taps in (ky, kx) order, so the vector and scalar paths agree.

import { argI, argF, argP, shareBegin, act4, act1, load4 } from './common';

/** One output with its out-of-range taps skipped. */
@inline function edge(
  plane: usize, wk: usize, b: f32, oy: i32, ox: i32,
  H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32,
): f32 {
  let acc = b;
  for (let ky = 0; ky < kh; ky++) {
    const iy = oy * sh - pt + ky * dh;
    if (<u32>iy >= <u32>H) continue;
    const row = plane + (<usize>(iy * W) << 2);
    for (let kx = 0; kx < kw; kx++) {
      const ix = ox * sw - pl + kx * dw;
      if (<u32>ix < <u32>W) acc += load<f32>(wk + (<usize>(ky * kw + kx) << 2)) * load<f32>(row + (<usize>ix << 2));
    }
  }
  return acc;
}

/**
 * args: x, w (Cout, 1, kH, kW), bias (0: none), y, N, C, H, W, Cout, Ho, Wo, kH, kW, sH, sW,
 * padTop, padLeft, dH, dW, act code, act a (f32), act b (f32).
 */
export function depthwiseConv2d(args: usize, tid: i32, nt: i32): void {
  const x = argP(args, 0), w = argP(args, 1), bias = argP(args, 2), y = argP(args, 3);
  const N = argI(args, 4), C = argI(args, 5), H = argI(args, 6), W = argI(args, 7);
  const Cout = argI(args, 8), Ho = argI(args, 9), Wo = argI(args, 10);
  const kh = argI(args, 11), kw = argI(args, 12), sh = argI(args, 13), sw = argI(args, 14);
  const pt = argI(args, 15), pl = argI(args, 16), dh = argI(args, 17), dw = argI(args, 18);
  const code = argI(args, 19), actA = argF(args, 20), actB = argF(args, 21);

  const M = Cout / C;
  // Interior columns [oxLo, oxHi): ox·sw − pl ≥ 0 and ox·sw − pl + (kw − 1)·dw ≤ W − 1.
  const oxLo = min((pl + sw - 1) / sw, Wo);
  const last = W - 1 - (kw - 1) * dw + pl;
  const oxHi = last < 0 ? oxLo : max(min(last / sw + 1, Wo), oxLo);
  const rows = N * Cout * Ho;
  const r0 = shareBegin(rows, tid, nt), r1 = shareBegin(rows, tid + 1, nt);
  for (let r = r0; r < r1; r++) {
    const oy = r % Ho;
    const nco = r / Ho;
    const co = nco % Cout;
    const n = nco / Cout;
    const plane = x + (<usize>(n * C + co / M) * <usize>H * <usize>W << 2);
    const wk = w + (<usize>(co * kh * kw) << 2);
    const b: f32 = bias != 0 ? load<f32>(bias + (<usize>co << 2)) : 0;
    const yRow = y + (<usize>r * <usize>Wo << 2);
    for (let ox = 0; ox < oxLo; ox++) {
      store<f32>(yRow + (<usize>ox << 2), act1(edge(plane, wk, b, oy, ox, H, W, kh, kw, sh, sw, pt, pl, dh, dw), code, actA, actB));
    }
    let ox = oxLo;
    const bv = f32x4.splat(b);
    for (; ox + 4 <= oxHi; ox += 4) {
      let acc = bv;
      const ix0 = ox * sw - pl;
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - pt + ky * dh;
        if (<u32>iy >= <u32>H) continue;
        let p = plane + (<usize>(iy * W + ix0) << 2);
        let wp = wk + (<usize>(ky * kw) << 2);
        for (let kx = 0; kx < kw; kx++) {
          acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(wp), load4(p, sw)));
          p += <usize>dw << 2;
          wp += 4;
        }
      }
      v128.store(yRow + (<usize>ox << 2), act4(acc, code, actA, actB));
    }
    for (; ox < Wo; ox++) {
      store<f32>(yRow + (<usize>ox << 2), act1(edge(plane, wk, b, oy, ox, H, W, kh, kw, sh, sw, pt, pl, dh, dw), code, actA, actB));
    }
  }
}
