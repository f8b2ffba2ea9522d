// Elementwise kernels: an activation over a buffer, and the broadcasting binary ops.

import { argI, argF, argP, shareBegin, act4 } from './common';

/** Floats per unit of work: a thread takes whole units, so shares are multiples of 4. */
const CHUNK: i32 = 4096;

/** args: x, y, n, act code, a (f32), b (f32). y may be x. */
export function activation(args: usize, tid: i32, nt: i32): void {
  const x = argP(args, 0), y = argP(args, 1), n = argI(args, 2);
  const code = argI(args, 3), a = argF(args, 4), b = argF(args, 5);
  const units = (n + CHUNK - 1) / CHUNK;
  const i0 = shareBegin(units, tid, nt) * CHUNK, i1 = min(shareBegin(units, tid + 1, nt) * CHUNK, n);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, act4(v128.load(x + o), code, a, b));
  }
  // The tail lane by lane, through the same vector code.
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, f32x4.extract_lane(act4(f32x4.splat(load<f32>(x + o)), code, a, b), 0));
  }
}

/** a ∘ b for the binary op `op` (src/ops/binary.ts's codes; the backend passes only these). */
@inline function op4(a: v128, b: v128, op: i32): v128 {
  switch (op) {
    case 0: return f32x4.add(a, b);
    case 1: return f32x4.mul(a, b);
    case 2: return f32x4.sub(a, b);
    case 3: return f32x4.div(a, b);
    case 5: return f32x4.max(a, b);
    case 6: return f32x4.min(a, b);
    case 8: return v128.and(f32x4.eq(a, b), f32x4.splat(1));
    case 9: return v128.and(f32x4.lt(a, b), f32x4.splat(1));
    case 10: return v128.and(f32x4.le(a, b), f32x4.splat(1));
    case 11: return v128.and(f32x4.gt(a, b), f32x4.splat(1));
    case 12: return v128.and(f32x4.ge(a, b), f32x4.splat(1));
    case 18: return v128.bitselect(a, f32x4.mul(b, a), f32x4.gt(a, f32x4.splat(0)));
    default: return a;
  }
}

/** Four values from p, or its one value on every lane when the operand is broadcast along the row (s = 0). */
@inline function row4(p: usize, s: i32): v128 {
  return s == 0 ? v128.load32_splat(p) : v128.load(p);
}

/**
 * args: a, b, y, op, act code, act a (f32), act b (f32), R (1 to 8), then R output dims, R
 * strides of a and R of b (in floats; 0 along a broadcast dim). The backend merges dims, so
 * the last one is long and its strides are 0 or 1. A unit of work is a chunk of an output row.
 */
export function binary(args: usize, tid: i32, nt: i32): void {
  const A = argP(args, 0), B = argP(args, 1), Y = argP(args, 2);
  const op = argI(args, 3), code = argI(args, 4), actA = argF(args, 5), actB = argF(args, 6);
  const R = argI(args, 7);
  const L = argI(args, 8 + R - 1);
  const sa = argI(args, 8 + R + R - 1), sb = argI(args, 8 + 2 * R + R - 1);
  let rows = 1;
  for (let d = 0; d < R - 1; d++) rows *= argI(args, 8 + d);
  const chunks = (L + CHUNK - 1) / CHUNK;
  const u0 = shareBegin(rows * chunks, tid, nt), u1 = shareBegin(rows * chunks, tid + 1, nt);
  for (let u = u0; u < u1; u++) {
    const row = u / chunks;
    const j0 = (u - row * chunks) * CHUNK;
    const j1 = min(j0 + CHUNK, L);
    // The row's offsets in a and b.
    let rem = row, oa = 0, ob = 0;
    for (let d = R - 2; d >= 0; d--) {
      const dim = argI(args, 8 + d);
      const c = rem % dim;
      rem /= dim;
      oa += c * argI(args, 8 + R + d);
      ob += c * argI(args, 8 + 2 * R + d);
    }
    let pa = A + (<usize>(oa + j0 * sa) << 2), pb = B + (<usize>(ob + j0 * sb) << 2);
    let py = Y + ((<usize>row * <usize>L + <usize>j0) << 2);
    const stepA = <usize>(sa << 4), stepB = <usize>(sb << 4);
    let j = j0;
    for (; j + 4 <= j1; j += 4) {
      v128.store(py, act4(op4(row4(pa, sa), row4(pb, sb), op), code, actA, actB));
      pa += stepA;
      pb += stepB;
      py += 16;
    }
    for (; j < j1; j++) {
      const v = op4(v128.load32_splat(pa), v128.load32_splat(pb), op);
      store<f32>(py, f32x4.extract_lane(act4(v, code, actA, actB), 0));
      pa += <usize>(sa << 2);
      pb += <usize>(sb << 2);
      py += 4;
    }
  }
}

/**
 * A strided copy (transpose): args x, y, R (1 to 8), then R output dims and R input strides
 * (in floats). Output rows along the last dim are copied whole when its stride is 1, else
 * gathered. A unit of work is a chunk of an output row.
 */
export function stridedCopy(args: usize, tid: i32, nt: i32): void {
  const X = argP(args, 0), Y = argP(args, 1), R = argI(args, 2);
  const L = argI(args, 3 + R - 1), s = argI(args, 3 + R + R - 1);
  let rows = 1;
  for (let d = 0; d < R - 1; d++) rows *= argI(args, 3 + d);
  const chunks = (L + CHUNK - 1) / CHUNK;
  const u0 = shareBegin(rows * chunks, tid, nt), u1 = shareBegin(rows * chunks, tid + 1, nt);
  for (let u = u0; u < u1; u++) {
    const row = u / chunks;
    const j0 = (u - row * chunks) * CHUNK;
    const j1 = min(j0 + CHUNK, L);
    let rem = row, off = 0;
    for (let d = R - 2; d >= 0; d--) {
      const dim = argI(args, 3 + d);
      off += (rem % dim) * argI(args, 3 + R + d);
      rem /= dim;
    }
    const py = Y + ((<usize>row * <usize>L + <usize>j0) << 2);
    const px = X + (<usize>(off + j0 * s) << 2);
    if (s == 1) {
      memory.copy(py, px, <usize>(j1 - j0) << 2);
    } else {
      const sb = <usize>s << 2;
      let p = px;
      for (let j = j0; j < j1; j++) {
        store<f32>(py + (<usize>(j - j0) << 2), load<f32>(p));
        p += sb;
      }
    }
  }
}
