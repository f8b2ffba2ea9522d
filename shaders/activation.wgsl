// Activation prelude, prepended to every kernel that fuses an activation into its output.
// Not a kernel on its own: `activate` is called once per output value by the kernel that
// includes it. ACT selects the activation at pipeline creation; the `case` arms are generated
// from the table in src/ops/activation.ts (`ACTIVATIONS`), which is also the CPU reference,
// and replace the ACTIVATION_CASES line below. ACT_A and ACT_B are the parameterised
// activations' constants (leaky relu's slope, clip's bounds). The helpers before `activate`
// (IEEE special values, exp/log/sqrt/div/pow/fmod with IEEE's results, erf, sin and cos) serve
// the table's rows and the binary ops of shaders/elementwise.wgsl. Every `activate` arm returns
// NaN for a NaN input (`keep_nan`, from the IEEE prelude shaders/ieee.wgsl, which precedes this
// one): max(x, 0) alone may drop it on a GPU.

override ACT: u32 = 0u;
override ACT_A: f32 = 0.0;
override ACT_B: f32 = 0.0;

fn stable_tanh(x: f32) -> f32 {
  // tanh(x) = sign(x) * (1 - e^{-2|x|}) / (1 + e^{-2|x|}); never overflows.
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}

fn stable_sigmoid(x: f32) -> f32 {
  // Split by sign so exp never overflows.
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

// IEEE special values (f32_bits, f32_inf, f32_nan: the IEEE prelude, shaders/ieee.wgsl).
/** ±inf with the sign of x (of a zero too): 1/x at x = ±0. */
fn signed_inf(x: f32) -> f32 { return f32_bits((bitcast<u32>(x) & 0x80000000u) | 0x7f800000u); }

// What WGSL leaves to the implementation is made explicit: exp of more than ln(FLT_MAX) is
// +inf; log(0) is -inf and log of a negative NaN (SwiftShader's log returns log|x|, and
// -88 at 0); sqrt of a negative NaN.
fn exp_ieee(x: f32) -> f32 { return select(exp(x), f32_inf(), x >= 88.72283935546875); }
fn log_ieee(x: f32) -> f32 { return select(select(log(x), -f32_inf(), x == 0.0), f32_nan(), x < 0.0); }
fn sqrt_ieee(x: f32) -> f32 { return select(sqrt(x), f32_nan(), x < 0.0); }
fn reciprocal_ieee(x: f32) -> f32 { return select(1.0 / x, signed_inf(x), x == 0.0); }

// Binary helpers (the elementwise kernel's ops), IEEE's results made explicit likewise.
/** a/b; a/±0 is ±inf with the sign of a·b, 0/0 NaN. */
fn div_ieee(a: f32, b: f32) -> f32 {
  if (b != 0.0) { return a / b; }
  if (a == 0.0) { return f32_nan(); }
  return f32_bits(((bitcast<u32>(a) ^ bitcast<u32>(b)) & 0x80000000u) | 0x7f800000u);
}
/** C's fmod: a − b·trunc(a/b), the sign of a; a mod 0 is NaN. */
fn fmod_ieee(a: f32, b: f32) -> f32 { return select(a - b * trunc(a / b), f32_nan(), b == 0.0); }
/** Python's a % b (ONNX Mod with fmod = 0): fmod, plus b when it is non-zero and its sign differs from b's. */
fn floor_mod(a: f32, b: f32) -> f32 {
  let r = fmod_ieee(a, b);
  return select(r, r + b, r != 0.0 && (r < 0.0) != (b < 0.0));
}
/**
 * C's pow. WGSL's pow is undefined for a negative base (SwiftShader gives |a|^b): here a
 * negative base with an integer exponent is |a|^b, negated for odd b, and NaN otherwise; 0 to
 * a negative power is +inf; b = 0 gives 1. Small integer and half exponents multiply or take
 * sqrt, exactly.
 */
fn pow_ieee(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  if (b == 3.0) { return a * a * a; }
  if (b == 0.5) { return sqrt_ieee(a); }
  if (b == -1.0) { return reciprocal_ieee(a); }
  let m = abs(a);
  var r: f32;
  if (m == 0.0) {
    r = select(0.0, f32_inf(), b < 0.0);
  } else {
    let t = b * log2(m);
    r = select(exp2(t), f32_inf(), t >= 128.0);
  }
  if (a < 0.0) {
    if (trunc(b) != b) { return f32_nan(); }
    if (abs(b) < 16777216.0 && (i32(abs(b) % 2.0)) == 1) { r = -r; }
  }
  return r;
}

/** log(1 + e^x) without overflow, and without losing e^x where it is below 1e-4 of 1. */
fn softplus(x: f32) -> f32 {
  let e = exp(-abs(x));
  return max(x, 0.0) + select(log(1.0 + e), e * (1.0 - 0.5 * e), e < 1e-4);
}

// erf in float32, to about 1.5 ulp (max error 1.8e-7 relative below |x| = 1, 7.8e-8 absolute
// above, with float32 arithmetic). Two least-squares fits (scripts/fit_erf.py reproduces them):
// |x| < 1:  erf(x) = x · P(x²), P of degree 5;
// |x| >= 1: erf(x) = 1 − e^{−x²} · Q(1/x), Q of degree 8 fitting erfc(x)·e^{x²} on [1, 4];
// at |x| >= 4 erf(x) rounds to ±1 in float32.
fn erf_f32(x: f32) -> f32 {
  let a = abs(x);
  if (a < 1.0) {
    let u = x * x;
    let p = ((((-0.0005660153110511601 * u + 0.004924789071083069) * u - 0.02671770751476288) * u + 0.112804114818573) * u - 0.3761235475540161) * u + 1.1283791065216064;
    return x * p;
  }
  if (a >= 4.0) { return sign(x); }
  let s = 1.0 / a;
  let q = (((((((-0.008309600874781609 * s + 0.022840920835733414) * s + 0.035960469394922256) * s - 0.2564176917076111) * s + 0.507409930229187) * s - 0.47628653049468994) * s + 0.04323958978056908) * s + 0.5588656067848206) * s + 0.00028086622478440404;
  return sign(x) * (1.0 - exp(-a * a) * q);
}

// sin and cos to about 1e-7 absolute for |x| up to 6400 (WGSL only promises 2^-11 inside
// [-π, π], and SwiftShader's sin is off by 2e-5 at 1): x = k·π/2 + r, k = round(2x/π), with
// π/2 split in three (8, 12 and 24 significant bits, so k·PIO2_1 and k·PIO2_2 are exact for
// |k| < 2^12), then Taylor polynomials on |r| <= π/4 (truncation below 2e-9) and the quadrant.
const PIO2_1: f32 = 1.5703125;
const PIO2_2: f32 = 4.837512969970703e-4;
const PIO2_3: f32 = 7.549790126404332e-8;

fn sin_poly(r: f32) -> f32 {
  let u = r * r;
  return r + r * u * (-0.16666666666666666 + u * (0.008333333333333333 + u * (-0.0001984126984126984 + u * 2.7557319223985893e-6)));
}
fn cos_poly(r: f32) -> f32 {
  let u = r * r;
  return 1.0 + u * (-0.5 + u * (0.041666666666666664 + u * (-0.001388888888888889 + u * (2.48015873015873e-5 - u * 2.755731922398589e-7))));
}
/** sin(x + q·π/2) for x = k·π/2 + r: sin when `shift` is 0, cos when it is 1. */
fn sin_quadrant(x: f32, shift: i32) -> f32 {
  let k = round(x * 0.6366197723675814);
  let r = ((x - k * PIO2_1) - k * PIO2_2) - k * PIO2_3;
  let q = (i32(k) + shift) & 3;
  var v: f32;
  if ((q & 1) == 0) { v = sin_poly(r); } else { v = cos_poly(r); }
  return select(v, -v, q >= 2);
}
fn sin_precise(x: f32) -> f32 { return sin_quadrant(x, 0); }
fn cos_precise(x: f32) -> f32 { return sin_quadrant(x, 1); }

// Derivatives too long for one table expression.
fn gelu_tanh_grad(x: f32) -> f32 {
  let t = stable_tanh(0.7978845608028654 * (x + 0.044715 * x * x * x));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * 0.7978845608028654 * (1.0 + 0.134145 * x * x);
}
fn silu_grad(x: f32) -> f32 {
  let s = stable_sigmoid(x);
  return s * (1.0 + x * (1.0 - s));
}
fn mish_grad(x: f32) -> f32 {
  let t = stable_tanh(softplus(x));
  return t + x * (1.0 - t * t) * stable_sigmoid(x);
}

fn activate(x: f32) -> f32 {
  switch ACT {
//#ACTIVATION_CASES
    default: { return x; }
  }
}
