// batchNorm (inference) and softmax / log-softmax along an axis.

import { argI, argF, argP, shareBegin, act4 } from './common';
import { exp4, log4 } from './math';

/** Floats of a plane per unit of work. */
const CHUNK: i32 = 4096;

/**
 * args: x, y, gamma, beta, mean, variance, N, C, S (values per (n, c) plane), epsilon (f32),
 * act code, act a (f32), act b (f32). y = act((x − mean)·γ/√(var + ε) + β). A unit of work is
 * a chunk of a plane.
 */
export function batchNorm(args: usize, tid: i32, nt: i32): void {
  const x = argP(args, 0), y = argP(args, 1), gamma = argP(args, 2), beta = argP(args, 3), mean = argP(args, 4), vari = argP(args, 5);
  const N = argI(args, 6), C = argI(args, 7), S = argI(args, 8), eps = argF(args, 9);
  const code = argI(args, 10), actA = argF(args, 11), actB = argF(args, 12);
  const chunks = (S + CHUNK - 1) / CHUNK;
  const units = N * C * chunks;
  const u0 = shareBegin(units, tid, nt), u1 = shareBegin(units, tid + 1, nt);
  for (let u = u0; u < u1; u++) {
    const plane = u / chunks;
    const c = plane % C;
    const j0 = (u - plane * chunks) * CHUNK, j1 = min(j0 + CHUNK, S);
    const o = <usize>c << 2;
    const scale = f32x4.splat(load<f32>(gamma + o) / sqrt<f32>(load<f32>(vari + o) + eps));
    const mu = f32x4.splat(load<f32>(mean + o)), shift = f32x4.splat(load<f32>(beta + o));
    const base = (<usize>plane * <usize>S) << 2;
    let j = j0;
    for (; j + 4 <= j1; j += 4) {
      const p = base + (<usize>j << 2);
      v128.store(y + p, act4(f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + p), mu), scale), shift), code, actA, actB));
    }
    for (; j < j1; j++) {
      const p = base + (<usize>j << 2);
      const v = f32x4.add(f32x4.mul(f32x4.sub(v128.load32_splat(x + p), mu), scale), shift);
      store<f32>(y + p, f32x4.extract_lane(act4(v, code, actA, actB), 0));
    }
  }
}

/** Lanes folded to one (fixed order): the max, or the sum. */
@inline function hmax(v: v128): f32 {
  const h = f32x4.max(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.max(h, v128.shuffle<f32>(h, h, 1, 0, 3, 2)), 0);
}
@inline function hsum(v: v128): f32 {
  const h = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.add(h, v128.shuffle<f32>(h, h, 1, 0, 3, 2)), 0);
}

/**
 * args: x, y, outer, L (the axis), inner, log (0: softmax). x is (outer, L, inner). With
 * inner = 1 a unit of work is a row, reduced four lanes at a time; otherwise a unit is an
 * (outer, 4-column block of inner) pair, the four columns reduced side by side.
 */
export function softmax(args: usize, tid: i32, nt: i32): void {
  const x = argP(args, 0), y = argP(args, 1);
  const outer = argI(args, 2), L = argI(args, 3), inner = argI(args, 4), isLog = argI(args, 5) != 0;
  const ninf = f32x4.splat(-Infinity);
  if (inner == 1) {
    const r0 = shareBegin(outer, tid, nt), r1 = shareBegin(outer, tid + 1, nt);
    for (let r = r0; r < r1; r++) {
      const px = x + (<usize>r * <usize>L << 2), py = y + (<usize>r * <usize>L << 2);
      let mv = ninf;
      let j = 0;
      for (; j + 4 <= L; j += 4) mv = f32x4.max(mv, v128.load(px + (<usize>j << 2)));
      for (; j < L; j++) mv = f32x4.max(mv, f32x4.replace_lane(ninf, 0, load<f32>(px + (<usize>j << 2))));
      const m = f32x4.splat(hmax(mv));
      // Σ exp(x − max); softmax stores the exponentials on the way.
      let sv = f32x4.splat(0);
      j = 0;
      for (; j + 4 <= L; j += 4) {
        const e = exp4(f32x4.sub(v128.load(px + (<usize>j << 2)), m));
        if (!isLog) v128.store(py + (<usize>j << 2), e);
        sv = f32x4.add(sv, e);
      }
      for (; j < L; j++) {
        const e = f32x4.extract_lane(exp4(f32x4.sub(v128.load32_splat(px + (<usize>j << 2)), m)), 0);
        if (!isLog) store<f32>(py + (<usize>j << 2), e);
        sv = f32x4.add(sv, f32x4.replace_lane(f32x4.splat(0), 0, e));
      }
      const s = f32x4.splat(hsum(sv));
      if (isLog) {
        const ls = f32x4.add(m, log4(s));
        j = 0;
        for (; j + 4 <= L; j += 4) v128.store(py + (<usize>j << 2), f32x4.sub(v128.load(px + (<usize>j << 2)), ls));
        for (; j < L; j++) store<f32>(py + (<usize>j << 2), load<f32>(px + (<usize>j << 2)) - f32x4.extract_lane(ls, 0));
      } else {
        const inv = f32x4.div(f32x4.splat(1), s);
        j = 0;
        for (; j + 4 <= L; j += 4) v128.store(py + (<usize>j << 2), f32x4.mul(v128.load(py + (<usize>j << 2)), inv));
        for (; j < L; j++) store<f32>(py + (<usize>j << 2), load<f32>(py + (<usize>j << 2)) * f32x4.extract_lane(inv, 0));
      }
    }
    return;
  }
  const blocks = (inner + 3) / 4;
  const u0 = shareBegin(outer * blocks, tid, nt), u1 = shareBegin(outer * blocks, tid + 1, nt);
  const rowBytes = <usize>inner << 2;
  for (let u = u0; u < u1; u++) {
    const o = u / blocks;
    const i0 = (u - o * blocks) * 4;
    const w = min(4, inner - i0);
    const px = x + ((<usize>o * <usize>L * <usize>inner + <usize>i0) << 2);
    const py = y + ((<usize>o * <usize>L * <usize>inner + <usize>i0) << 2);
    if (w == 4) {
      let m = ninf;
      for (let j = 0; j < L; j++) m = f32x4.max(m, v128.load(px + <usize>j * rowBytes));
      let s = f32x4.splat(0);
      for (let j = 0; j < L; j++) {
        const e = exp4(f32x4.sub(v128.load(px + <usize>j * rowBytes), m));
        if (!isLog) v128.store(py + <usize>j * rowBytes, e);
        s = f32x4.add(s, e);
      }
      if (isLog) {
        const ls = f32x4.add(m, log4(s));
        for (let j = 0; j < L; j++) v128.store(py + <usize>j * rowBytes, f32x4.sub(v128.load(px + <usize>j * rowBytes), ls));
      } else {
        const inv = f32x4.div(f32x4.splat(1), s);
        for (let j = 0; j < L; j++) v128.store(py + <usize>j * rowBytes, f32x4.mul(v128.load(py + <usize>j * rowBytes), inv));
      }
    } else {
      // The last columns one at a time (on lane 0).
      for (let c = 0; c < w; c++) {
        const pc = px + (<usize>c << 2), qc = py + (<usize>c << 2);
        let m = ninf;
        for (let j = 0; j < L; j++) m = f32x4.max(m, v128.load32_splat(pc + <usize>j * rowBytes));
        let s = f32x4.splat(0);
        for (let j = 0; j < L; j++) {
          const e = exp4(f32x4.sub(v128.load32_splat(pc + <usize>j * rowBytes), m));
          if (!isLog) store<f32>(qc + <usize>j * rowBytes, f32x4.extract_lane(e, 0));
          s = f32x4.add(s, e);
        }
        if (isLog) {
          const ls = f32x4.extract_lane(f32x4.add(m, log4(s)), 0);
          for (let j = 0; j < L; j++) store<f32>(qc + <usize>j * rowBytes, load<f32>(pc + <usize>j * rowBytes) - ls);
        } else {
          const inv = f32x4.extract_lane(f32x4.div(f32x4.splat(1), s), 0);
          for (let j = 0; j < L; j++) store<f32>(qc + <usize>j * rowBytes, load<f32>(qc + <usize>j * rowBytes) * inv);
        }
      }
    }
  }
}
