// Pooling forward (NCHW): pool2d max/avg (kernel, stride, padding, dilation, ceil mode,
// countIncludePad), global max/avg, adaptive average. pool2d is laid out as depthwise.ts: a
// thread takes a contiguous range of output rows (plane, oy); the interior columns (whole window
// inside the input) four at a time, the edges one at a time. Padded cells never win a max; an
// average divides by the real cells, or with countIncludePad by the cells inside the padded
// input (as the reference, src/backends/cpu/pool.ts).

import { argI, argP, shareBegin, load4 } from './common';

/** max(a, b), NaN if either is: a NaN in the window wins, as in the reference. */
@inline function max4(a: v128, b: v128): v128 {
  return f32x4.max(a, b);
}

/**
 * args: x, y, planes (N·C), H, W, Ho, Wo, kH, kW, sH, sW, padTop, padLeft, padBottom,
 * padRight, dH, dW, avg (0: max), countIncludePad.
 */
export function pool2d(args: usize, tid: i32, nt: i32): void {
  const x = argP(args, 0), y = argP(args, 1);
  const planes = argI(args, 2), H = argI(args, 3), W = argI(args, 4), Ho = argI(args, 5), Wo = argI(args, 6);
  const kh = argI(args, 7), kw = argI(args, 8), sh = argI(args, 9), sw = argI(args, 10);
  const pt = argI(args, 11), pl = argI(args, 12), pb = argI(args, 13), pr = argI(args, 14);
  const dh = argI(args, 15), dw = argI(args, 16), avg = argI(args, 17) != 0, incl = argI(args, 18) != 0;

  const oxLo = min((pl + sw - 1) / sw, Wo);
  const last = W - 1 - (kw - 1) * dw + pl;
  const oxHi = last < 0 ? oxLo : max(min(last / sw + 1, Wo), oxLo);
  const rows = planes * Ho;
  const r0 = shareBegin(rows, tid, nt), r1 = shareBegin(rows, tid + 1, nt);
  for (let r = r0; r < r1; r++) {
    const oy = r % Ho;
    const plane = x + (<usize>(r / Ho) * <usize>H * <usize>W << 2);
    const yRow = y + (<usize>r * <usize>Wo << 2);
    const hs = oy * sh - pt;
    // Rows of the window inside the input, and inside the padded input.
    let hReal = 0, hPadded = 0;
    for (let ky = 0; ky < kh; ky++) {
      const iy = hs + ky * dh;
      if (<u32>iy < <u32>H) hReal++;
      if (iy < H + pb) hPadded++;
    }
    let ox = 0;
    for (; ox < Wo; ox++) {
      if (ox == oxLo) {
        // The interior, four columns at a time.
        const scale = f32x4.splat(<f32>1 / <f32>((incl ? hPadded : hReal) * kw));
        for (; ox + 4 <= oxHi; ox += 4) {
          let acc = f32x4.splat(avg ? 0 : -Infinity);
          const ix0 = ox * sw - pl;
          for (let ky = 0; ky < kh; ky++) {
            const iy = hs + ky * dh;
            if (<u32>iy >= <u32>H) continue;
            let p = plane + (<usize>(iy * W + ix0) << 2);
            for (let kx = 0; kx < kw; kx++) {
              const v = load4(p, sw);
              acc = avg ? f32x4.add(acc, v) : max4(acc, v);
              p += <usize>dw << 2;
            }
          }
          v128.store(yRow + (<usize>ox << 2), avg ? f32x4.mul(acc, scale) : acc);
        }
        if (ox >= Wo) break;
      }
      // One output, window cells outside the input skipped.
      const ws = ox * sw - pl;
      let acc: f32 = avg ? 0 : -Infinity;
      let wReal = 0, wPadded = 0;
      for (let kx = 0; kx < kw; kx++) {
        const ix = ws + kx * dw;
        if (<u32>ix < <u32>W) wReal++;
        if (ix < W + pr) wPadded++;
      }
      for (let ky = 0; ky < kh; ky++) {
        const iy = hs + ky * dh;
        if (<u32>iy >= <u32>H) continue;
        const row = plane + (<usize>(iy * W) << 2);
        for (let kx = 0; kx < kw; kx++) {
          const ix = ws + kx * dw;
          if (<u32>ix >= <u32>W) continue;
          const v = f32x4.splat(load<f32>(row + (<usize>ix << 2)));
          acc = f32x4.extract_lane(avg ? f32x4.add(f32x4.splat(acc), v) : max4(f32x4.splat(acc), v), 0);
        }
      }
      if (avg) acc *= <f32>1 / <f32>(incl ? hPadded * wPadded : hReal * wReal);
      store<f32>(yRow + (<usize>ox << 2), acc);
    }
  }
}

/** args: x, y, planes, plane size, avg (0: max). One output per plane; a thread takes a range of planes. */
export function globalPool(args: usize, tid: i32, nt: i32): void {
  const x = argP(args, 0), y = argP(args, 1);
  const planes = argI(args, 2), P = argI(args, 3), avg = argI(args, 4) != 0;
  const p0 = shareBegin(planes, tid, nt), p1 = shareBegin(planes, tid + 1, nt);
  for (let q = p0; q < p1; q++) {
    const base = x + (<usize>q * <usize>P << 2);
    let acc = f32x4.splat(avg ? 0 : -Infinity);
    let i = 0;
    for (; i + 4 <= P; i += 4) {
      const v = v128.load(base + (<usize>i << 2));
      acc = avg ? f32x4.add(acc, v) : max4(acc, v);
    }
    // The tail on lane 0, then the lanes folded in a fixed order.
    for (; i < P; i++) {
      const v = f32x4.replace_lane(f32x4.splat(avg ? 0 : -Infinity), 0, load<f32>(base + (<usize>i << 2)));
      acc = avg ? f32x4.add(acc, v) : max4(acc, v);
    }
    const h = avg ? f32x4.add(acc, v128.shuffle<f32>(acc, acc, 2, 3, 0, 1)) : max4(acc, v128.shuffle<f32>(acc, acc, 2, 3, 0, 1));
    const g = avg ? f32x4.add(h, v128.shuffle<f32>(h, h, 1, 0, 3, 2)) : max4(h, v128.shuffle<f32>(h, h, 1, 0, 3, 2));
    let r = f32x4.extract_lane(g, 0);
    if (avg) r /= <f32>P;
    store<f32>(y + (<usize>q << 2), r);
  }
}

/**
 * args: x, y, planes, H, W, Ho, Wo. Output (i, j) averages rows ⌊iH/Ho⌋ .. ⌈(i+1)H/Ho⌉ − 1 and
 * columns likewise. A thread takes a range of output rows.
 */
export function adaptiveAvgPool(args: usize, tid: i32, nt: i32): void {
  const x = argP(args, 0), y = argP(args, 1);
  const planes = argI(args, 2), H = argI(args, 3), W = argI(args, 4), Ho = argI(args, 5), Wo = argI(args, 6);
  const rows = planes * Ho;
  const r0 = shareBegin(rows, tid, nt), r1 = shareBegin(rows, tid + 1, nt);
  for (let r = r0; r < r1; r++) {
    const i = r % Ho;
    const plane = x + (<usize>(r / Ho) * <usize>H * <usize>W << 2);
    const y0 = <i32>((<i64>i * H) / Ho), y1 = <i32>((<i64>(i + 1) * H + Ho - 1) / Ho);
    for (let j = 0; j < Wo; j++) {
      const x0 = <i32>((<i64>j * W) / Wo), x1 = <i32>((<i64>(j + 1) * W + Wo - 1) / Wo);
      let sum: f32 = 0;
      for (let iy = y0; iy < y1; iy++) {
        const row = plane + (<usize>(iy * W) << 2);
        for (let ix = x0; ix < x1; ix++) sum += load<f32>(row + (<usize>ix << 2));
      }
      store<f32>(y + ((<usize>r * <usize>Wo + <usize>j) << 2), sum / <f32>((y1 - y0) * (x1 - x0)));
    }
  }
}
