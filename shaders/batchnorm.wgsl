// Batch normalization (inference) with a fused activation:
//   y = act(gamma[c] * (x - mean[c]) / sqrt(variance[c] + epsilon) + beta[c]),
// x viewed as (N, C, S) with S the product of the dimensions after C.
// One invocation computes 4 consecutive outputs (one vec4; the buffers are padded to 16
// bytes, so the tail vec4 stays in bounds); one workgroup computes 4 * WG outputs. With
// ALIGNED = 1 (S % 4 == 0) the four lanes share one channel and the math is done on the
// vec4; otherwise each lane finds its own channel. The problem may be folded into y: the
// linear id is gid.x + gid.y * nwg.x * WG. Requires the activation and index preludes.

override WG: u32 = 256u;
// 1 when S is a multiple of 4.
override ALIGNED: u32 = 0u;

// Uniforms: BatchNormParams, generated from BN_PARAMS in src/backends/webgpu/kernels/batchnorm.ts.
@group(0) @binding(0) var<uniform> params: BatchNormParams;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;   // (N, C, S)
@group(0) @binding(2) var<storage, read> gamma: array<f32>;     // (C)
@group(0) @binding(3) var<storage, read> beta: array<f32>;      // (C)
@group(0) @binding(4) var<storage, read> mean: array<f32>;      // (C)
@group(0) @binding(5) var<storage, read> variance: array<f32>;  // (C)
@group(0) @binding(6) var<storage, read_write> y: array<vec4<f32>>;  // (N, C, S)

fn channel_of(e: u32) -> u32 {
  return (e / params.spatial) % params.channels;
}

fn normalize_one(v: f32, c: u32) -> f32 {
  return activate(gamma[c] * (v - mean[c]) / sqrt(variance[c] + params.epsilon) + beta[c]);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count4) { return; }
  let v = x[i];
  if (ALIGNED == 1u) {
    let c = channel_of(4u * i);
    let t = gamma[c] * (v - vec4<f32>(mean[c])) / sqrt(variance[c] + params.epsilon) + beta[c];
    y[i] = vec4<f32>(activate(t.x), activate(t.y), activate(t.z), activate(t.w));
  } else {
    // Lanes past the end read and write the buffer's padding: harmless.
    let e = 4u * i;
    y[i] = vec4<f32>(
      normalize_one(v.x, channel_of(e)),
      normalize_one(v.y, channel_of(e + 1u)),
      normalize_one(v.z, channel_of(e + 2u)),
      normalize_one(v.w, channel_of(e + 3u)),
    );
  }
}
