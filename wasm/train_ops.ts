// Training kernels besides conv2d's backward: dense's backward (GEMMs on the 4×8 microkernel),
// the activations' gradients, pooling's and subsampling's backward, and the optimizer steps.
// Each output value is computed by one thread in an order fixed by the shapes.

import { argI, argF, argP, shareBegin, act1, ACT_RELU, ACT_LEAKY_RELU, ACT_CLIP } from './common';
import { tile4x8 } from './gemm';

/** args: dy (N, OUT), w (OUT, IN), dx (N, IN), N, IN, OUT, scratch, scratch bytes per thread. dx = dy·w. */
export function dense_backward_input(args: usize, tid: i32, nt: i32): void {
  const dy = argP(args, 0), w = argP(args, 1), dx = argP(args, 2);
  const N = argI(args, 3), IN = argI(args, 4), OUT = argI(args, 5);
  const tmp = argP(args, 6) + <usize>argI(args, 7) * <usize>tid;
  const quads = (N + 3) / 4;
  const cols = (IN + 7) / 8;
  const units = quads * cols;
  const u0 = shareBegin(units, tid, nt), u1 = shareBegin(units, tid + 1, nt);
  const ldy = <usize>OUT << 2, ldw = <usize>IN << 2;
  for (let u = u0; u < u1; u++) {
    const q = u / cols;
    const j = (u - q * cols) * 8;
    const n = q * 4;
    tile4x8(dy + <usize>n * ldy, ldy, w + (<usize>j << 2), ldw, OUT, dx + <usize>n * ldw + (<usize>j << 2), ldw, min(4, N - n), min(8, IN - j), false, 0, 0, 0, 0, 0, tmp);
  }
}

/**
 * args: x (N, IN), dy (N, OUT), dw (OUT, IN; 0: none), db (OUT; 0: none), N, IN, OUT, scratch,
 * scratch bytes per thread. dw = dyᵀ·x, db = Σ_n dy; a thread owns four output rows at a time.
 */
export function dense_backward_weight(args: usize, tid: i32, nt: i32): void {
  const x = argP(args, 0), dy = argP(args, 1), dw = argP(args, 2), db = argP(args, 3);
  const N = argI(args, 4), IN = argI(args, 5), OUT = argI(args, 6);
  const scratch = argP(args, 7) + <usize>argI(args, 8) * <usize>tid;
  const tmp = scratch;
  const dyT = scratch + 128;
  const lda = <usize>N << 2;
  const ldx = <usize>IN << 2;
  const quads = (OUT + 3) / 4;
  const q0 = shareBegin(quads, tid, nt), q1 = shareBegin(quads, tid + 1, nt);
  for (let q = q0; q < q1; q++) {
    const o = q * 4;
    const mr = min(4, OUT - o);
    // dyᵀ's rows o..o+mr: dyT[r][n] = dy[n][o + r].
    for (let r = 0; r < mr; r++) {
      for (let n = 0; n < N; n++) store<f32>(dyT + <usize>r * lda + (<usize>n << 2), load<f32>(dy + ((<usize>n * <usize>OUT + <usize>(o + r)) << 2)));
    }
    if (db != 0) {
      for (let r = 0; r < mr; r++) {
        let s: f32 = 0;
        for (let n = 0; n < N; n++) s += load<f32>(dyT + <usize>r * lda + (<usize>n << 2));
        store<f32>(db + (<usize>(o + r) << 2), s);
      }
    }
    if (dw == 0) continue;
    for (let i = 0; i < IN; i += 8) {
      tile4x8(dyT, lda, x + (<usize>i << 2), ldx, N, dw + <usize>o * ldx + (<usize>i << 2), ldx, mr, min(8, IN - i), false, 0, 0, 0, 0, 0, tmp);
    }
  }
}

// Activation codes of src/ops/activation.ts whose gradient this file computes (from the output y).
const ACT_SIGMOID: i32 = 4;
const ACT_TANH: i32 = 5;
const ACT_SCALED_TANH: i32 = 6;

/** The gradient at the activation's input from its output y and dy, four lanes. */
@inline function actGrad4(y: v128, d: v128, code: i32, a: f32, b: f32): v128 {
  const zero = f32x4.splat(0);
  if (code == ACT_RELU) return v128.bitselect(d, zero, f32x4.gt(y, zero));
  if (code == ACT_LEAKY_RELU) return v128.bitselect(d, f32x4.mul(d, f32x4.splat(a)), f32x4.gt(y, zero));
  if (code == ACT_CLIP) return v128.bitselect(d, zero, v128.and(f32x4.gt(y, f32x4.splat(a)), f32x4.lt(y, f32x4.splat(b))));
  const one = f32x4.splat(1);
  if (code == ACT_SIGMOID) return f32x4.mul(d, f32x4.mul(y, f32x4.sub(one, y)));
  if (code == ACT_TANH) return f32x4.mul(d, f32x4.sub(one, f32x4.mul(y, y)));
  // scaledTanh: A·S·(1 − (y/A)²), A = 1.7159, S = 2/3.
  const t = f32x4.mul(y, f32x4.splat(<f32>(1.0 / 1.7159)));
  return f32x4.mul(d, f32x4.mul(f32x4.splat(<f32>(1.7159 * 2.0 / 3.0)), f32x4.sub(one, f32x4.mul(t, t))));
}

/** args: y, dy, dx, count, code (relu, leakyRelu, clip, sigmoid, tanh, scaledTanh), a (f32), b (f32). */
export function activation_backward(args: usize, tid: i32, nt: i32): void {
  const y = argP(args, 0), dy = argP(args, 1), dx = argP(args, 2);
  const count = argI(args, 3), code = argI(args, 4), a = argF(args, 5), b = argF(args, 6);
  const quads = (count + 3) / 4;
  const i0 = shareBegin(quads, tid, nt) * 4, i1 = min(count, shareBegin(quads, tid + 1, nt) * 4);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const off = <usize>i << 2;
    v128.store(dx + off, actGrad4(v128.load(y + off), v128.load(dy + off), code, a, b));
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2;
    store<f32>(dx + off, f32x4.extract_lane(actGrad4(f32x4.splat(load<f32>(y + off)), f32x4.splat(load<f32>(dy + off)), code, a, b), 0));
  }
}

/**
 * args: x, dy, dx, planes (N·C), H, W, Ho, Wo, kH, kW, sH, sW, padTop, padLeft, padBottom,
 * padRight, type (0 max, 1 avg), countIncludePad. One thread per plane: max sends dy to the
 * window's first maximum (padding never wins), avg spreads dy / divisor over the real cells.
 */
export function pool2d_backward(args: usize, tid: i32, nt: i32): void {
  const x = argP(args, 0), dy = argP(args, 1), dx = argP(args, 2);
  const planes = argI(args, 3), H = argI(args, 4), W = argI(args, 5), Ho = argI(args, 6), Wo = argI(args, 7);
  const kh = argI(args, 8), kw = argI(args, 9), sh = argI(args, 10), sw = argI(args, 11);
  const pt = argI(args, 12), pl = argI(args, 13), pb = argI(args, 14), pr = argI(args, 15);
  const isAvg = argI(args, 16) != 0, includePad = argI(args, 17) != 0;
  const p0 = shareBegin(planes, tid, nt), p1 = shareBegin(planes, tid + 1, nt);
  const HW = <usize>H * <usize>W;
  for (let p = p0; p < p1; p++) {
    const xp = x + ((<usize>p * HW) << 2);
    const dp = dx + ((<usize>p * HW) << 2);
    let dyp = dy + ((<usize>p * <usize>Ho * <usize>Wo) << 2);
    memory.fill(dp, 0, HW << 2);
    for (let oy = 0; oy < Ho; oy++) {
      const hs = oy * sh - pt;
      const h0 = max(hs, 0), h1 = min(hs + kh, H);
      for (let ox = 0; ox < Wo; ox++) {
        const d = load<f32>(dyp);
        dyp += 4;
        const ws = ox * sw - pl;
        const w0 = max(ws, 0), w1 = min(ws + kw, W);
        if (!isAvg) {
          let arg = <usize>(h0 * W + w0) << 2;
          let best = load<f32>(xp + arg);
          for (let iy = h0; iy < h1; iy++) {
            for (let ix = w0; ix < w1; ix++) {
              const i = <usize>(iy * W + ix) << 2;
              const v = load<f32>(xp + i);
              if (v > best) {
                best = v;
                arg = i;
              }
            }
          }
          store<f32>(dp + arg, load<f32>(dp + arg) + d);
        } else {
          const divisor = includePad ? (min(hs + kh, H + pb) - hs) * (min(ws + kw, W + pr) - ws) : (h1 - h0) * (w1 - w0);
          const g = d / <f32>divisor;
          for (let iy = h0; iy < h1; iy++) {
            for (let ix = w0; ix < w1; ix++) {
              const a = dp + (<usize>(iy * W + ix) << 2);
              store<f32>(a, load<f32>(a) + g);
            }
          }
        }
      }
    }
  }
}

/**
 * args: x, coeff, dy, dx, dcoeff, dbias, N, C, H, W, Ho, Wo, kH, kW, sH, sW. LeNet-5's
 * subsampling, y = coeff[c]·Σ window + bias[c]: one thread per channel, images in order.
 */
export function subsample_backward(args: usize, tid: i32, nt: i32): void {
  const x = argP(args, 0), coeff = argP(args, 1), dy = argP(args, 2);
  const dx = argP(args, 3), dcoeff = argP(args, 4), dbias = argP(args, 5);
  const N = argI(args, 6), C = argI(args, 7), H = argI(args, 8), W = argI(args, 9), Ho = argI(args, 10), Wo = argI(args, 11);
  const kh = argI(args, 12), kw = argI(args, 13), sh = argI(args, 14), sw = argI(args, 15);
  const c0 = shareBegin(C, tid, nt), c1 = shareBegin(C, tid + 1, nt);
  const HW = <usize>H * <usize>W;
  for (let c = c0; c < c1; c++) {
    const k = load<f32>(coeff + (<usize>c << 2));
    let dc: f32 = 0, dbs: f32 = 0;
    for (let n = 0; n < N; n++) {
      const p = <usize>(n * C + c);
      const xp = x + ((p * HW) << 2);
      const dp = dx + ((p * HW) << 2);
      let dyp = dy + ((p * <usize>Ho * <usize>Wo) << 2);
      memory.fill(dp, 0, HW << 2);
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          const d = load<f32>(dyp);
          dyp += 4;
          const g = k * d;
          let s: f32 = 0;
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const i = <usize>((oy * sh + ky) * W + ox * sw + kx) << 2;
              s += load<f32>(xp + i);
              store<f32>(dp + i, load<f32>(dp + i) + g);
            }
          }
          dc += d * s;
          dbs += d;
        }
      }
    }
    store<f32>(dcoeff + (<usize>c << 2), dc);
    store<f32>(dbias + (<usize>c << 2), dbs);
  }
}

/**
 * args: param, grad, velocity (0: none), hyper ([lr]), count, momentum (f32), weight decay (f32),
 * nesterov (0/1). PyTorch's SGD, in place.
 */
export function sgd_step(args: usize, tid: i32, nt: i32): void {
  const param = argP(args, 0), grad = argP(args, 1), vel = argP(args, 2), hyper = argP(args, 3);
  const count = argI(args, 4), mom = argF(args, 5), wd = argF(args, 6), nesterov = argI(args, 7) != 0;
  const lr = f32x4.splat(load<f32>(hyper));
  const m = f32x4.splat(mom), decay = f32x4.splat(wd);
  const quads = (count + 3) / 4;
  const i0 = shareBegin(quads, tid, nt) * 4, i1 = min(count, shareBegin(quads, tid + 1, nt) * 4);
  for (let i = i0; i < i1; i += 4) {
    // The tensor's last quad lane by lane: past `count` lies another tensor.
    const lanes = min(4, i1 - i);
    const off = <usize>i << 2;
    const theta = loadPartial(param + off, lanes);
    let g = f32x4.add(loadPartial(grad + off, lanes), f32x4.mul(decay, theta));
    if (vel != 0) {
      const v = f32x4.add(f32x4.mul(m, loadPartial(vel + off, lanes)), g);
      storePartial(vel + off, v, lanes);
      g = nesterov ? f32x4.add(g, f32x4.mul(m, v)) : v;
    }
    storePartial(param + off, f32x4.sub(theta, f32x4.mul(lr, g)), lanes);
  }
}

/**
 * args: param, grad, m, v, hyper ([lr, c]), count, β1, β2, ε, weight decay (f32 each).
 * Adam (AdamW with weight decay), in place: θ ← θ − lr·wd·θ − lr·c·m/(√v + ε).
 */
export function adam_step(args: usize, tid: i32, nt: i32): void {
  const param = argP(args, 0), grad = argP(args, 1), mp = argP(args, 2), vp = argP(args, 3), hyper = argP(args, 4);
  const count = argI(args, 5);
  const b1 = f32x4.splat(argF(args, 6)), b2 = f32x4.splat(argF(args, 7)), eps = f32x4.splat(argF(args, 8)), wd = argF(args, 9);
  const lr = load<f32>(hyper), c = load<f32>(hyper, 4);
  const one = f32x4.splat(1);
  const decay = f32x4.splat(lr * wd), step = f32x4.splat(lr * c);
  const quads = (count + 3) / 4;
  const i0 = shareBegin(quads, tid, nt) * 4, i1 = min(count, shareBegin(quads, tid + 1, nt) * 4);
  for (let i = i0; i < i1; i += 4) {
    const lanes = min(4, i1 - i);
    const off = <usize>i << 2;
    const g = loadPartial(grad + off, lanes);
    const p = loadPartial(param + off, lanes);
    const theta = f32x4.sub(p, f32x4.mul(decay, p));
    const m = f32x4.add(f32x4.mul(b1, loadPartial(mp + off, lanes)), f32x4.mul(f32x4.sub(one, b1), g));
    const v = f32x4.add(f32x4.mul(b2, loadPartial(vp + off, lanes)), f32x4.mul(f32x4.sub(one, b2), f32x4.mul(g, g)));
    storePartial(mp + off, m, lanes);
    storePartial(vp + off, v, lanes);
    storePartial(param + off, f32x4.sub(theta, f32x4.div(f32x4.mul(step, m), f32x4.add(f32x4.sqrt(v), eps))), lanes);
  }
}

/** The first `lanes` (1 to 4) floats at `p`; the other lanes 0. */
@inline function loadPartial(p: usize, lanes: i32): v128 {
  if (lanes >= 4) return v128.load(p);
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (lanes > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (lanes > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Stores the first `lanes` (1 to 4) lanes of `v` at `p`. */
@inline function storePartial(p: usize, v: v128, lanes: i32): void {
  if (lanes >= 4) {
    v128.store(p, v);
    return;
  }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (lanes > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (lanes > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/**
 * args: x, coeff, bias, y, N, C, H, W, Ho, Wo, kH, kW, sH, sW, act code, a (f32), b (f32).
 * LeNet-5's subsampling forward, y = act(coeff[c]·Σ window + bias[c]), one thread per plane.
 */
export function subsample(args: usize, tid: i32, nt: i32): void {
  const x = argP(args, 0), coeff = argP(args, 1), bias = argP(args, 2), y = argP(args, 3);
  const N = argI(args, 4), C = argI(args, 5), H = argI(args, 6), W = argI(args, 7), Ho = argI(args, 8), Wo = argI(args, 9);
  const kh = argI(args, 10), kw = argI(args, 11), sh = argI(args, 12), sw = argI(args, 13);
  const code = argI(args, 14), a = argF(args, 15), b = argF(args, 16);
  const planes = N * C;
  const p0 = shareBegin(planes, tid, nt), p1 = shareBegin(planes, tid + 1, nt);
  const HW = <usize>H * <usize>W;
  for (let p = p0; p < p1; p++) {
    const c = p % C;
    const k = load<f32>(coeff + (<usize>c << 2)), b0 = load<f32>(bias + (<usize>c << 2));
    const xp = x + ((<usize>p * HW) << 2);
    let yp = y + ((<usize>p * <usize>Ho * <usize>Wo) << 2);
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        let s: f32 = 0;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) s += load<f32>(xp + (<usize>((oy * sh + ky) * W + ox * sw + kx) << 2));
        }
        store<f32>(yp, act1(k * s + b0, code, a, b));
        yp += 4;
      }
    }
  }
}
