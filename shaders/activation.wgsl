// Activation prelude, prepended to every kernel that fuses an activation into its output.
// Not a kernel on its own: `activate` is called once per output value by the kernel that
// includes it. ACT selects the activation at pipeline creation; the `case` arms are generated
// from the table in src/ops/activation.ts (`ACTIVATIONS`), which is also the CPU reference,
// and replace the ACTIVATION_CASES line below. ACT_A and ACT_B are the parameterised
// activations' constants (leaky relu's slope, clip's bounds).

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

fn activate(x: f32) -> f32 {
  switch ACT {
//#ACTIVATION_CASES
    default: { return x; }
  }
}
