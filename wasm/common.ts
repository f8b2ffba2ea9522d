// Shared pieces of the WebAssembly kernels: argument reading and the fused activations.
//
// Every kernel is exported as `name(args, tid, nt)`: `args` points to its arguments in linear
// memory (i32 or f32 words, written by src/backends/wasm/), and the calling thread `tid` of `nt`
// does its share. Shares are fixed by (tid, nt) alone and each output value is computed by one
// thread in one order, so results do not depend on the thread count.

/** The i-th i32 word of the arguments. */
@inline export function argI(args: usize, i: i32): i32 {
  return load<i32>(args + (<usize>i << 2));
}

/** The i-th argument word as f32. */
@inline export function argF(args: usize, i: i32): f32 {
  return load<f32>(args + (<usize>i << 2));
}

/** The i-th argument word as a pointer. */
@inline export function argP(args: usize, i: i32): usize {
  return <usize>load<u32>(args + (<usize>i << 2));
}

/** [begin, end) of `total` items for thread `tid` of `nt`: contiguous, as even as possible. */
@inline export function shareBegin(total: i32, tid: i32, nt: i32): i32 {
  return <i32>((<i64>total * tid) / nt);
}

import { actMath4 } from './math';

// Activation codes: those of src/ops/activation.ts's table that the kernels apply in their
// epilogue (the backend applies the others, sin and cos, in a second pass). The piecewise-linear
// ones are inline here; the rest are math.ts's actMath4, out of line.
export const ACT_NONE: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_LEAKY_RELU: i32 = 2;
export const ACT_CLIP: i32 = 3;
export const ACT_HARD_SWISH: i32 = 7;
export const ACT_HARD_SIGMOID: i32 = 8;

/** The activation `code` with constants a, b on four lanes. */
@inline export function act4(v: v128, code: i32, a: f32, b: f32): v128 {
  if (code == ACT_RELU) return f32x4.max(v, f32x4.splat(0));
  if (code == ACT_LEAKY_RELU) return v128.bitselect(v, f32x4.mul(v, f32x4.splat(a)), f32x4.gt(v, f32x4.splat(0)));
  if (code == ACT_CLIP) return f32x4.min(f32x4.max(v, f32x4.splat(a)), f32x4.splat(b));
  if (code == ACT_HARD_SWISH) {
    const t = f32x4.add(f32x4.mul(v, f32x4.splat(<f32>1.0 / 6.0)), f32x4.splat(0.5));
    return f32x4.mul(v, f32x4.min(f32x4.max(t, f32x4.splat(0)), f32x4.splat(1)));
  }
  if (code == ACT_HARD_SIGMOID) {
    const t = f32x4.add(f32x4.mul(v, f32x4.splat(a)), f32x4.splat(b));
    return f32x4.min(f32x4.max(t, f32x4.splat(0)), f32x4.splat(1));
  }
  if (code == 0) return v;
  return actMath4(v, code, a, b);
}

/** The activation on one value. */
@inline export function act1(x: f32, code: i32, a: f32, b: f32): f32 {
  return f32x4.extract_lane(act4(f32x4.splat(x), code, a, b), 0);
}

/** Four inputs at p, p + s, p + 2s, p + 3s (s in floats). */
@inline export function load4(p: usize, s: i32): v128 {
  if (s == 1) return v128.load(p);
  if (s == 2) return v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6);
  const sb = <usize>s << 2;
  let v = v128.load32_zero(p);
  v = f32x4.replace_lane(v, 1, load<f32>(p + sb));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * sb));
  return f32x4.replace_lane(v, 3, load<f32>(p + 3 * sb));
}
