// IEEE special values, and NaN made explicit. Not a kernel: a prelude prepended to kernels that
// need it (and to the activation prelude, which uses it). WGSL lets an implementation assume
// that no NaN reaches a floating-point operation, so a fast-math compiler may fold max(NaN, x)
// to x or x != x to false, and a NaN that the CPU reference propagates could vanish on a GPU
// (a diverging model would look healthy). An integer test of the bits is outside that
// assumption: `is_nan_bits` is, and the helpers below return a NaN operand whenever there is
// one (as IEEE 754-2019 `maximum`/`minimum` and JavaScript's Math.max/Math.min do).
// Infinities go through max and min unchanged on every GPU; only NaN needs the bit test.

// WGSL rejects an infinite or NaN constant expression, so the bits pass through a variable and
// the value is made at run time.
fn f32_bits(b: u32) -> f32 {
  var v = b;
  return bitcast<f32>(v);
}
fn f32_inf() -> f32 { return f32_bits(0x7f800000u); }
fn f32_nan() -> f32 { return f32_bits(0x7fc00000u); }

/** x is a NaN: exponent all ones and a non-zero mantissa. */
fn is_nan_bits(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
/** max(a, b), or the NaN among them. */
fn max_nan(a: f32, b: f32) -> f32 { return select(select(max(a, b), b, is_nan_bits(b)), a, is_nan_bits(a)); }
/** min(a, b), or the NaN among them. */
fn min_nan(a: f32, b: f32) -> f32 { return select(select(min(a, b), b, is_nan_bits(b)), a, is_nan_bits(a)); }
/** r, or x itself when x is a NaN: f(NaN) = NaN for an activation f whose expression might drop it. */
fn keep_nan(x: f32, r: f32) -> f32 { return select(r, x, is_nan_bits(x)); }
/** exp(x), NaN for a NaN (SwiftShader's exp(NaN) is not NaN, and WGSL does not require it). */
fn exp_nan(x: f32) -> f32 { return keep_nan(x, exp(x)); }
/** log(x), NaN for a NaN. */
fn log_nan(x: f32) -> f32 { return keep_nan(x, log(x)); }
