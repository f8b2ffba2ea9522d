// Activation backward: dx = dy · f'(·), elementwise. The derivative is computed from the value
// the activation's table row names (src/ops/activation.ts): its output y when y determines it
// (relu, sigmoid, tanh, …: what a fused forward keeps), else its input x. Binding 1 holds that
// value. Requires the activation prelude (ACT, ACT_A, ACT_B, the helpers); the `case` arms are
// generated from the same table and replace the ACTIVATION_GRAD_CASES line below.
// One invocation computes 4 consecutive gradients (vec4; tensor buffers are padded to 16
// bytes, so the tail vec4 stays in bounds); one workgroup computes 4 · WG. The problem may be
// folded into y: the linear workgroup id is wid.x + wid.y · nwg.x.

override WG: u32 = 256u;

// Uniforms: Vec4Params, generated from VEC4_PARAMS in src/backends/webgpu/kernels/activation.ts.
@group(0) @binding(0) var<uniform> params: Vec4Params;
@group(0) @binding(1) var<storage, read> saved: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dx: array<vec4<f32>>;

/** f'(·) from `v`, the activation's input or output as its table row says. */
fn activation_grad(v: f32) -> f32 {
  switch ACT {
//#ACTIVATION_GRAD_CASES
    default: { return 1.0; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count4) { return; }
  let v = saved[i];
  dx[i] = dy[i] * vec4<f32>(activation_grad(v.x), activation_grad(v.y), activation_grad(v.z), activation_grad(v.w));
}
