// dense (fully connected, PyTorch layout): y (N, OUT) = x (N, IN) · wᵀ + bias, then activation.
// Small batches (N < 4) take dot products: a thread owns a range of outputs and computes four
// at a time over IN in f32x4 steps. Larger batches run the 4×8 microkernel on C = w·xᵀ with
// xᵀ gathered into the thread's scratch, stored transposed into y.

import { argI, argF, argP, shareBegin, act1 } from './common';
import { tile4x8 } from './gemm';

/** args: x, w, bias (0: none), y, scratch, scratch bytes per thread, N, IN, OUT, act code, a, b. */
export function dense(args: usize, tid: i32, nt: i32): void {
  const x = argP(args, 0), w = argP(args, 1), bias = argP(args, 2), y = argP(args, 3);
  const scratch = argP(args, 4) + <usize>argI(args, 5) * <usize>tid;
  const N = argI(args, 6), IN = argI(args, 7), OUT = argI(args, 8);
  const code = argI(args, 9), actA = argF(args, 10), actB = argF(args, 11);
  const quads = (OUT + 3) / 4;
  const q0 = shareBegin(quads, tid, nt), q1 = shareBegin(quads, tid + 1, nt);
  if (q0 >= q1) return;
  const ldw = <usize>IN << 2;

  if (N < 4) {
    const in4 = IN & ~3;
    for (let n = 0; n < N; n++) {
      const xr = x + <usize>n * ldw;
      for (let q = q0; q < q1; q++) {
        const o = q * 4;
        const mr = min(4, OUT - o);
        const w0 = w + <usize>o * ldw;
        const w1 = mr > 1 ? w0 + ldw : w0;
        const w2 = mr > 2 ? w0 + 2 * ldw : w0;
        const w3 = mr > 3 ? w0 + 3 * ldw : w0;
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        for (let k = 0; k < in4; k += 4) {
          const off = <usize>k << 2;
          const xv = v128.load(xr + off);
          s0 = f32x4.add(s0, f32x4.mul(xv, v128.load(w0 + off)));
          s1 = f32x4.add(s1, f32x4.mul(xv, v128.load(w1 + off)));
          s2 = f32x4.add(s2, f32x4.mul(xv, v128.load(w2 + off)));
          s3 = f32x4.add(s3, f32x4.mul(xv, v128.load(w3 + off)));
        }
        let r0 = f32x4.extract_lane(s0, 0) + f32x4.extract_lane(s0, 1) + f32x4.extract_lane(s0, 2) + f32x4.extract_lane(s0, 3);
        let r1 = f32x4.extract_lane(s1, 0) + f32x4.extract_lane(s1, 1) + f32x4.extract_lane(s1, 2) + f32x4.extract_lane(s1, 3);
        let r2 = f32x4.extract_lane(s2, 0) + f32x4.extract_lane(s2, 1) + f32x4.extract_lane(s2, 2) + f32x4.extract_lane(s2, 3);
        let r3 = f32x4.extract_lane(s3, 0) + f32x4.extract_lane(s3, 1) + f32x4.extract_lane(s3, 2) + f32x4.extract_lane(s3, 3);
        for (let k = in4; k < IN; k++) {
          const off = <usize>k << 2;
          const xv = load<f32>(xr + off);
          r0 += xv * load<f32>(w0 + off);
          r1 += xv * load<f32>(w1 + off);
          r2 += xv * load<f32>(w2 + off);
          r3 += xv * load<f32>(w3 + off);
        }
        const yr = y + (<usize>(n * OUT + o) << 2);
        store<f32>(yr, act1(r0 + (bias != 0 ? load<f32>(bias + (<usize>o << 2)) : 0), code, actA, actB));
        if (mr > 1) store<f32>(yr, act1(r1 + (bias != 0 ? load<f32>(bias + (<usize>(o + 1) << 2)) : 0), code, actA, actB), 4);
        if (mr > 2) store<f32>(yr, act1(r2 + (bias != 0 ? load<f32>(bias + (<usize>(o + 2) << 2)) : 0), code, actA, actB), 8);
        if (mr > 3) store<f32>(yr, act1(r3 + (bias != 0 ? load<f32>(bias + (<usize>(o + 3) << 2)) : 0), code, actA, actB), 12);
      }
    }
    return;
  }

  // xᵀ (IN × Npad) in scratch after the 128-byte tile buffer.
  const tmp = scratch;
  const xt = scratch + 128;
  const Npad = (N + 7) & ~7;
  const ldt = <usize>Npad << 2;
  for (let n = 0; n < N; n++) {
    const xr = x + <usize>n * ldw;
    for (let k = 0; k < IN; k++) store<f32>(xt + <usize>k * ldt + (<usize>n << 2), load<f32>(xr + (<usize>k << 2)));
  }
  for (let q = q0; q < q1; q++) {
    const o = q * 4;
    const mr = min(4, OUT - o);
    for (let j = 0; j < N; j += 8) {
      tile4x8(
        w + <usize>o * ldw, ldw, xt + (<usize>j << 2), ldt, IN,
        y + ((<usize>j * <usize>OUT + <usize>o) << 2), <usize>OUT << 2, mr, min(8, N - j), true,
        bias != 0 ? bias + (<usize>o << 2) : 0, 0, code, actA, actB, tmp,
      );
    }
  }
}
