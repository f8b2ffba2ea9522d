// Activation prelude, prepended to every kernel that fuses an activation into its output.
// Not a kernel on its own: `activate` is called once per output value by the kernel that
// includes it. ACT is specialised at pipeline creation (codes as in src/ops/activation.ts):
// 0 none, 1 relu, 2 leaky relu (slope ACT_A), 3 clip [ACT_A, ACT_B], 4 sigmoid, 5 tanh,
// 6 LeCun's scaled tanh 1.7159 * tanh(2x/3).

override ACT: u32 = 0u;
override ACT_A: f32 = 0.0;
override ACT_B: f32 = 0.0;

fn stable_tanh(x: f32) -> f32 {
  // tanh(x) = sign(x) * (1 - e^{-2|x|}) / (1 + e^{-2|x|}); never overflows.
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}

fn activate(x: f32) -> f32 {
  switch ACT {
    case 1u: { return max(x, 0.0); }
    case 2u: { return select(ACT_A * x, x, x > 0.0); }
    // min(max()) rather than clamp(): clamp with constant bounds is validated even when unused.
    case 3u: { return min(max(x, ACT_A), ACT_B); }
    case 4u: {
      // Split by sign so exp never overflows.
      if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
      let e = exp(x);
      return e / (1.0 + e);
    }
    case 5u: { return stable_tanh(x); }
    case 6u: { return 1.7159 * stable_tanh(0.6666666666666666 * x); }
    default: { return x; }
  }
}
