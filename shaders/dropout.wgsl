// Inverted dropout in training mode: mask[i] = 0 when the top 24 bits of
// xxhash32(seed, i) are below params.threshold (= round(rate·2²⁴)), else params.scale
// (= 1/(1 − rate) in f32); y = x·mask. The hash is counter based (no state), so the mask
// depends only on the seed and the element index, and matches the CPU reference
// (dropoutHash in src/ops/dropout.ts) bit for bit. The seed is read from a (1)
// tensor (an integer < 2²⁴ stored as f32), so a recorded plan can be replayed with new seeds.
// One invocation computes 4 consecutive elements (one vec4; buffers are padded to 16 bytes so
// the tail vec4 stays in bounds); one workgroup 4·WG. The problem may be folded into y: the
// linear id is gid.x + gid.y·nwg.x·WG. Requires the index prelude.

override WG: u32 = 256u;

// Uniforms: DropoutParams, generated from DROPOUT_PARAMS in src/backends/webgpu/kernels/dropout.ts.
@group(0) @binding(0) var<uniform> params: DropoutParams;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;          // any shape, flat
@group(0) @binding(2) var<storage, read> seed: array<f32>;             // (1)
@group(0) @binding(3) var<storage, read_write> y: array<vec4<f32>>;    // x's shape
@group(0) @binding(4) var<storage, read_write> mask: array<vec4<f32>>; // x's shape

const P2: u32 = 0x85ebca77u;
const P3: u32 = 0xc2b2ae3du;
const P4: u32 = 0x27d4eb2fu;
const P5: u32 = 0x165667b1u;

fn rotl17(h: u32) -> u32 {
  return (h << 17u) | (h >> 15u);
}

// xxHash32 of the 8 bytes (a, b) with seed 0 (u32 arithmetic wraps).
fn xxhash32_2(a: u32, b: u32) -> u32 {
  var h = P5 + 8u;
  h = rotl17(h + a * P3) * P4;
  h = rotl17(h + b * P3) * P4;
  h ^= h >> 15u;
  h *= P2;
  h ^= h >> 13u;
  h *= P3;
  h ^= h >> 16u;
  return h;
}

fn mask_at(s: u32, e: u32) -> f32 {
  return select(params.scale, 0.0, (xxhash32_2(s, e) >> 8u) < params.threshold);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count4) { return; }
  let s = u32(seed[0]);
  let e = 4u * i;
  let m = vec4<f32>(mask_at(s, e), mask_at(s, e + 1u), mask_at(s, e + 2u), mask_at(s, e + 3u));
  mask[i] = m;
  y[i] = x[i] * m;
}
