// resample (src/ops/resample.ts) over the last two axes, as resize uses it (U-Net's upsampling):
// each output row oy reads input rows with weights (map Y), each output column ox input
// columns (map X), both as compressed rows (offsets, index, weight). Separable: a row of
// Σ_k wy_k·x[iy_k] (f32x4 along W) in the thread's scratch, then each output its
// Σ_k wx_k·row[ix_k]. An output whose row or column map is empty is `fill`. A thread takes a
// contiguous range of output rows (plane, oy).

import { argI, argF, argP, shareBegin } from './common';

/**
 * args: x, y, planes, H, W, Ho, Wo, Y offsets, Y index, Y weight, X offsets, X index, X weight,
 * fill (f32), scratch, scratch bytes per thread (≥ 4·W rounded up to 16).
 */
export function resample2d(args: usize, tid: i32, nt: i32): void {
  const x = argP(args, 0), y = argP(args, 1);
  const planes = argI(args, 2), H = argI(args, 3), W = argI(args, 4), Ho = argI(args, 5), Wo = argI(args, 6);
  const yo = argP(args, 7), yi = argP(args, 8), yw = argP(args, 9);
  const xo = argP(args, 10), xi = argP(args, 11), xw = argP(args, 12);
  const fill = argF(args, 13);
  const tmp = argP(args, 14) + <usize>argI(args, 15) * <usize>tid;
  const rows = planes * Ho;
  const r0 = shareBegin(rows, tid, nt), r1 = shareBegin(rows, tid + 1, nt);
  for (let r = r0; r < r1; r++) {
    const oy = r % Ho;
    const plane = x + (<usize>(r / Ho) * <usize>H * <usize>W << 2);
    const yRow = y + (<usize>r * <usize>Wo << 2);
    const k0 = load<u32>(yo + (<usize>oy << 2)), k1 = load<u32>(yo + (<usize>(oy + 1) << 2));
    if (k0 == k1) {
      for (let ox = 0; ox < Wo; ox++) store<f32>(yRow + (<usize>ox << 2), fill);
      continue;
    }
    // tmp = Σ_k wy_k · x[iy_k, :]
    for (let k = k0; k < k1; k++) {
      const src = plane + (<usize>(load<u32>(yi + (<usize>k << 2)) * <u32>W) << 2);
      const wv = v128.load32_splat(yw + (<usize>k << 2));
      let j = 0;
      if (k == k0) {
        for (; j + 4 <= W; j += 4) v128.store(tmp + (<usize>j << 2), f32x4.mul(wv, v128.load(src + (<usize>j << 2))));
        for (; j < W; j++) store<f32>(tmp + (<usize>j << 2), load<f32>(yw + (<usize>k << 2)) * load<f32>(src + (<usize>j << 2)));
      } else {
        for (; j + 4 <= W; j += 4) {
          const p = tmp + (<usize>j << 2);
          v128.store(p, f32x4.add(v128.load(p), f32x4.mul(wv, v128.load(src + (<usize>j << 2)))));
        }
        for (; j < W; j++) {
          const p = tmp + (<usize>j << 2);
          store<f32>(p, load<f32>(p) + load<f32>(yw + (<usize>k << 2)) * load<f32>(src + (<usize>j << 2)));
        }
      }
    }
    for (let ox = 0; ox < Wo; ox++) {
      const e0 = load<u32>(xo + (<usize>ox << 2)), e1 = load<u32>(xo + (<usize>(ox + 1) << 2));
      let acc: f32 = e0 == e1 ? fill : 0;
      for (let e = e0; e < e1; e++) {
        acc += load<f32>(xw + (<usize>e << 2)) * load<f32>(tmp + (<usize>load<u32>(xi + (<usize>e << 2)) << 2));
      }
      store<f32>(yRow + (<usize>ox << 2), acc);
    }
  }
}
