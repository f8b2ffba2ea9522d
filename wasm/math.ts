// Transcendental functions on four float32 lanes, for the activations of common.ts's act4:
// exp and log by range reduction and a polynomial (the classic float32 minimax coefficients),
// and from them sigmoid, tanh, softplus, erf. Each is within a few ulp of the float64 value
// except where it says otherwise.

@inline function splat(v: f32): v128 {
  return f32x4.splat(v);
}

/** 2^n for integer lanes n ∈ [-126, 127]. */
@inline function pow2i(n: v128): v128 {
  return i32x4.shl(i32x4.add(n, i32x4.splat(127)), 23);
}

/**
 * e^x: x = n·ln2 + r, |r| ≤ ln2/2 (ln2 split in two so n·ln2 is exact), e^r by a degree-6
 * polynomial, times 2^n applied as two halves so every n from −150 to 128 scales without
 * leaving the normal exponents (underflow to denormals and 0, overflow to +inf, as IEEE).
 */
export function exp4(x: v128): v128 {
  const big = f32x4.gt(x, splat(88.72284)); // past ln(FLT_MAX): +inf
  const xc = f32x4.max(f32x4.min(x, splat(88.72284)), splat(-104));
  const fn = f32x4.nearest(f32x4.mul(xc, splat(1.44269504088896341)));
  let r = f32x4.sub(xc, f32x4.mul(fn, splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(fn, splat(-2.12194440e-4)));
  let p = splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), splat(1));
  const n = i32x4.trunc_sat_f32x4_s(fn);
  const h = i32x4.shr_s(n, 1);
  const y = f32x4.mul(f32x4.mul(p, pow2i(h)), pow2i(i32x4.sub(n, h)));
  // NaN stays NaN (min/max propagate it; the polynomial of NaN is NaN).
  return v128.bitselect(splat(Infinity), y, big);
}

/**
 * ln x: x = m·2^e with m ∈ [√½, √2), ln m = f − f²/2 + f³·P(f) (f = m − 1, P of degree 8),
 * plus e·ln2 (split in two). ln 0 = −inf, ln of a negative or NaN = NaN, ln +inf = +inf.
 * Denormal inputs are treated as 0.
 */
export function log4(x: v128): v128 {
  const bits = x;
  let e = i32x4.sub(i32x4.shr_u(bits, 23), i32x4.splat(127));
  // The mantissa as a float in [1, 2).
  let m = v128.or(v128.and(bits, i32x4.splat(0x007fffff)), i32x4.splat(0x3f800000));
  // Above √2: halve it and count one more power of two.
  const hi = f32x4.gt(m, splat(1.41421356));
  m = v128.bitselect(f32x4.mul(m, splat(0.5)), m, hi);
  e = i32x4.sub(e, hi); // hi lanes are −1
  const f = f32x4.sub(m, splat(1));
  const z = f32x4.mul(f, f);
  let p = splat(7.0376836292e-2);
  p = f32x4.add(f32x4.mul(p, f), splat(-1.1514610310e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(1.1676998740e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(-1.2420140846e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(1.4249322787e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(-1.6668057665e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(2.0000714765e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(-2.4999993993e-1));
  p = f32x4.add(f32x4.mul(p, f), splat(3.3333331174e-1));
  const fe = f32x4.convert_i32x4_s(e);
  let y = f32x4.mul(f32x4.mul(p, f), z);
  y = f32x4.add(y, f32x4.mul(fe, splat(-2.12194440e-4)));
  y = f32x4.sub(y, f32x4.mul(z, splat(0.5)));
  y = f32x4.add(f32x4.add(f, y), f32x4.mul(fe, splat(0.693359375)));
  // Special values: x ≤ 0 (and denormals) → −inf or NaN; +inf → +inf; NaN → NaN.
  y = v128.bitselect(splat(-Infinity), y, f32x4.lt(x, splat(1.17549435e-38)));
  y = v128.bitselect(splat(NaN), y, f32x4.lt(x, splat(0)));
  y = v128.bitselect(x, y, f32x4.eq(x, splat(Infinity)));
  return v128.bitselect(x, y, f32x4.ne(x, x));
}

/** ln(1 + u) for u ≥ 0, accurate for small u: ln(w)·u/(w − 1) with w = 1 + u (u itself where w rounds to 1). */
export function log1p4(u: v128): v128 {
  const w = f32x4.add(u, splat(1));
  const d = f32x4.sub(w, splat(1));
  const one = f32x4.eq(d, splat(0));
  const q = f32x4.div(f32x4.mul(log4(w), u), v128.bitselect(splat(1), d, one));
  return v128.bitselect(u, q, one);
}

/** 1/(1 + e^{−x}); e^{−x} = +inf for x < −88.7 gives 0, as it should. */
export function sigmoid4(x: v128): v128 {
  return f32x4.div(splat(1), f32x4.add(splat(1), exp4(f32x4.neg(x))));
}

/**
 * tanh: below |x| = 0.625 the odd polynomial x + x³·P(x²) (no cancellation near 0), above it
 * sign(x)·(1 − 2/(e^{2|x|} + 1)), which is ±1 once e^{2|x|} is +inf.
 */
export function tanh4(x: v128): v128 {
  const a = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), splat(-3.33332819422e-1));
  const small = f32x4.add(x, f32x4.mul(f32x4.mul(p, z), x));
  const e = exp4(f32x4.add(a, a));
  const t = f32x4.sub(splat(1), f32x4.div(splat(2), f32x4.add(e, splat(1))));
  // Copy x's sign onto t (t ≥ 0).
  const large = v128.or(t, v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(small, large, f32x4.lt(a, splat(0.625)));
}

/** max(x, 0) + ln(1 + e^{−|x|}). */
export function softplus4(x: v128): v128 {
  return f32x4.add(f32x4.max(x, splat(0)), log1p4(exp4(f32x4.neg(f32x4.abs(x)))));
}

/**
 * erf, the two fits of shaders/activation.wgsl's erf_f32 (scripts/fit_erf.py): x·P(x²) below
 * |x| = 1, sign(x)·(1 − e^{−x²}·Q(1/|x|)) from 1 to 4, ±1 beyond.
 */
export function erf4(x: v128): v128 {
  const a = f32x4.abs(x);
  const u = f32x4.mul(x, x);
  let p = splat(-0.0005660153110511601);
  p = f32x4.add(f32x4.mul(p, u), splat(0.004924789071083069));
  p = f32x4.add(f32x4.mul(p, u), splat(-0.02671770751476288));
  p = f32x4.add(f32x4.mul(p, u), splat(0.112804114818573));
  p = f32x4.add(f32x4.mul(p, u), splat(-0.3761235475540161));
  p = f32x4.add(f32x4.mul(p, u), splat(1.1283791065216064));
  const small = f32x4.mul(x, p);
  const s = f32x4.div(splat(1), f32x4.max(a, splat(1)));
  let q = splat(-0.008309600874781609);
  q = f32x4.add(f32x4.mul(q, s), splat(0.022840920835733414));
  q = f32x4.add(f32x4.mul(q, s), splat(0.035960469394922256));
  q = f32x4.add(f32x4.mul(q, s), splat(-0.2564176917076111));
  q = f32x4.add(f32x4.mul(q, s), splat(0.507409930229187));
  q = f32x4.add(f32x4.mul(q, s), splat(-0.47628653049468994));
  q = f32x4.add(f32x4.mul(q, s), splat(0.04323958978056908));
  q = f32x4.add(f32x4.mul(q, s), splat(0.5588656067848206));
  q = f32x4.add(f32x4.mul(q, s), splat(0.00028086622478440404));
  const am = f32x4.min(a, splat(4));
  let t = f32x4.sub(splat(1), f32x4.mul(exp4(f32x4.neg(f32x4.mul(am, am))), q));
  t = v128.bitselect(splat(1), t, f32x4.ge(a, splat(4)));
  const large = v128.or(t, v128.and(x, i32x4.splat(0x80000000)));
  const r = v128.bitselect(small, large, f32x4.lt(a, splat(1)));
  return v128.bitselect(x, r, f32x4.ne(x, x));
}

/** e^x − 1, without the cancellation of exp4(x) − 1 near 0 (a Taylor polynomial below |x| = 0.35). */
export function expm14(x: v128): v128 {
  let p = splat(<f32>(1.0 / 5040));
  p = f32x4.add(f32x4.mul(p, x), splat(<f32>(1.0 / 720)));
  p = f32x4.add(f32x4.mul(p, x), splat(<f32>(1.0 / 120)));
  p = f32x4.add(f32x4.mul(p, x), splat(<f32>(1.0 / 24)));
  p = f32x4.add(f32x4.mul(p, x), splat(<f32>(1.0 / 6)));
  p = f32x4.add(f32x4.mul(p, x), splat(0.5));
  const small = f32x4.add(x, f32x4.mul(f32x4.mul(p, x), x));
  const large = f32x4.sub(exp4(x), splat(1));
  return v128.bitselect(small, large, f32x4.lt(f32x4.abs(x), splat(0.35)));
}

/**
 * The activations of src/ops/activation.ts's table beyond the piecewise-linear ones (codes as
 * there): the out-of-line part of common.ts's act4. Unknown codes (sin, cos) return v: the
 * backend never passes them (kernels/fused.ts).
 */
export function actMath4(x: v128, code: i32, a: f32, b: f32): v128 {
  const zero = splat(0);
  switch (code) {
    case 4: return sigmoid4(x);
    case 5: return tanh4(x);
    case 6: return f32x4.mul(splat(1.7159), tanh4(f32x4.mul(x, splat(<f32>(2.0 / 3.0)))));
    case 9: return f32x4.mul(f32x4.mul(splat(0.5), x), f32x4.add(splat(1), erf4(f32x4.mul(x, splat(0.7071067811865476)))));
    case 10: {
      const u = f32x4.mul(splat(0.7978845608028654), f32x4.add(x, f32x4.mul(splat(0.044715), f32x4.mul(f32x4.mul(x, x), x))));
      return f32x4.mul(f32x4.mul(splat(0.5), x), f32x4.add(splat(1), tanh4(u)));
    }
    case 11: return f32x4.mul(x, sigmoid4(x));
    case 12: return v128.bitselect(x, f32x4.mul(splat(a), expm14(f32x4.min(x, zero))), f32x4.gt(x, zero));
    case 13: return f32x4.mul(splat(b), v128.bitselect(x, f32x4.mul(splat(a), expm14(f32x4.min(x, zero))), f32x4.gt(x, zero)));
    case 14: return v128.bitselect(x, f32x4.mul(splat(a), expm14(f32x4.div(f32x4.min(x, zero), splat(a)))), f32x4.gt(x, zero));
    case 15: return softplus4(x);
    case 16: return f32x4.div(x, f32x4.add(splat(1), f32x4.abs(x)));
    case 17: {
      // tanh(softplus(x)) = n(n + 2) / (n(n + 2) + 2) with n = eˣ: one exp, no cancellation
      // for x ≪ 0, and 1 in float32 from x = 20 on (where eˣ is clamped so n² stays finite).
      const n = exp4(f32x4.min(x, splat(20)));
      const q = f32x4.mul(n, f32x4.add(n, splat(2)));
      return f32x4.mul(x, f32x4.div(q, f32x4.add(q, splat(2))));
    }
    case 18: return v128.and(x, f32x4.gt(x, splat(a)));
    case 19: return exp4(x);
    case 20: return log4(x);
    case 21: return f32x4.sqrt(x);
    case 22: return f32x4.abs(x);
    case 23: return f32x4.neg(x);
    case 24: return f32x4.div(splat(1), x);
    case 25: return f32x4.floor(x);
    case 26: return f32x4.ceil(x);
    case 27: return f32x4.nearest(x);
    case 28: {
      const s = f32x4.sub(v128.and(splat(1), f32x4.gt(x, zero)), v128.and(splat(1), f32x4.lt(x, zero)));
      return v128.bitselect(x, s, f32x4.ne(x, x));
    }
    case 29: return erf4(x);
    case 32: return v128.and(splat(1), f32x4.eq(x, zero));
    default: return x;
  }
}
