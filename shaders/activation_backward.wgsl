// Activation backward: dx = dy · f'(x), with the derivative written in terms of the
// activation's output y = f(x) (what the forward kept). Elementwise, four elements per
// invocation (vec4; tensor buffers are padded to 16 bytes, so the tail vec4 stays in bounds).
// One invocation computes 4 consecutive gradients; one workgroup computes 4 · WG. The problem
// may be folded into y: the linear workgroup id is wid.x + wid.y · nwg.x.
// ACT, ACT_A and ACT_B take the same values as in the forward prelude (activation.wgsl):
// 0 none, 1 relu, 2 leaky relu (slope ACT_A), 3 clip [ACT_A, ACT_B], 4 sigmoid, 5 tanh,
// 6 LeCun's scaled tanh 1.7159 · tanh(2x/3).

override WG: u32 = 256u;
override ACT: u32 = 0u;
override ACT_A: f32 = 0.0;
override ACT_B: f32 = 0.0;

struct Params {
  count4: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> y: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> dx: array<vec4<f32>>;

/** f'(x) from y = f(x), four at a time. */
fn activation_grad(y: vec4<f32>) -> vec4<f32> {
  let one = vec4<f32>(1.0);
  let zero = vec4<f32>(0.0);
  switch ACT {
    case 1u: { return select(zero, one, y > zero); }
    case 2u: { return select(vec4<f32>(ACT_A), one, y > zero); }
    // 1 strictly inside the clip interval; 0 where the forward clamped.
    case 3u: { return select(zero, one, (y > vec4<f32>(ACT_A)) & (y < vec4<f32>(ACT_B))); }
    case 4u: { return y * (one - y); }
    case 5u: { return one - y * y; }
    case 6u: {
      // A·S·(1 − (y/A)²) with A = 1.7159, S = 2/3.
      let t = y * (1.0 / 1.7159);
      return (1.7159 * 0.6666666666666666) * (one - t * t);
    }
    default: { return one; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count4) { return; }
  dx[i] = dy[i] * activation_grad(y[i]);
}
