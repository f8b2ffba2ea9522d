// Unary kernel: an activation applied elementwise, four elements per invocation (vec4).
// One invocation computes 4 consecutive outputs (the buffer is padded to 16 bytes, so the
// tail vec4 stays in bounds); one workgroup computes 4 * WG outputs. The problem may be
// folded into y: the linear workgroup id is wid.x + wid.y * nwg.x. Requires the activation prelude.

override WG: u32 = 256u;

// Uniforms: Vec4Params, generated from VEC4_PARAMS in src/backends/webgpu/kernels/activation.ts.
@group(0) @binding(0) var<uniform> params: Vec4Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= params.count4) { return; }
  let v = x[i];
  y[i] = vec4<f32>(activate(v.x), activate(v.y), activate(v.z), activate(v.w));
}
