// Seeded data augmentation of a batch x (N, C, H, W): per image a random crop of the image
// zero-padded by `pad` (offset in [0, 2·pad] per axis), a horizontal flip with p = 1/2, a
// brightness shift δ ~ U(−b, b) and a contrast scale s ~ U(1−c, 1+c) around the image mean:
//   out = (v − m)·s + (m + δ),  v = the cropped, flipped value, m = mean of those values.
// One workgroup computes one image (all channels share its draws); the linear image id is
// wid.x + wid.y·nwg.x (folded when N exceeds maxComputeWorkgroupsPerDimension). One invocation
// computes the elements t, t + WG, t + 2·WG, … of the image (C·H·W of them).
// With CONTRAST on, the mean is a fixed-order f32 reduction — invocation t sums its elements in
// order, then a shared-memory tree halves WG partial sums — which the CPU reference
// (src/backends/cpu/augment.ts) replays operation by operation. Crop, flip and the mean hold no
// product that could be contracted, so they match the reference bit for bit; the jitters'
// a·b + c may be fused into one fma by a compiler (WGSL allows it; SwiftShader does not), which
// moves a jittered value by a few ulps — test/augment.test.ts derives the bound.
// Random draws hash (seed, image, purpose) with u32 arithmetic only: the same bits as
// `drawU32` in src/ops/augment.ts. The seed is read at run time from a one-element f32 buffer,
// so a recorded plan changes it by rewriting that buffer. Requires the index prelude.

// Invocations per workgroup: a power of two (the reduction order depends on it; see AUGMENT_WG).
override WG: u32 = 64u;
// 1: mirror each image with probability 1/2.
override FLIP: u32 = 0u;
// 1: brightness jitter on.
override BRIGHT: u32 = 0u;
// 1: contrast jitter on (needs the mean reduction).
override CONTRAST: u32 = 0u;

// Uniforms: AugmentParams, generated from AUGMENT_PARAMS in src/backends/webgpu/kernels/augment.ts.
@group(0) @binding(0) var<uniform> params: AugmentParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> seed_buf: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, WG>;

// Chris Wellons' lowbias32 integer mixer (`hash32` in src/ops/augment.ts).
fn hash32(v: u32) -> u32 {
  var h = v;
  h ^= h >> 16u;
  h *= 0x7feb352du;
  h ^= h >> 15u;
  h *= 0x846ca68bu;
  h ^= h >> 16u;
  return h;
}

// The random u32 for (seed, image, purpose); purposes: 0 crop y, 1 crop x, 2 flip,
// 3 brightness, 4 contrast.
fn draw(seed: u32, image: u32, purpose: u32) -> u32 {
  let h = hash32(hash32(seed) ^ image);
  return hash32(h + (purpose + 1u) * 0x9e3779b9u);
}

// 2u − 1 with u = (draw >> 8) / 2^24: exact in f32, in [−1, 1).
fn signed_unit(seed: u32, image: u32, purpose: u32) -> f32 {
  let u = f32(draw(seed, image, purpose) >> 8u) * 0x1p-24f;
  return 2.0 * u - 1.0;
}

// The value of output element i (of one image) after crop and flip: a read or a zero of the padding.
fn sample(base: u32, i: u32, dy: u32, dx: u32, flipped: bool) -> f32 {
  let hw = params.h * params.w;
  let ch = i / hw;
  let r = i - ch * hw;
  let y = r / params.w;
  var xo = r - y * params.w;
  if (flipped) { xo = params.w - 1u - xo; }
  let sy = i32(y + dy) - i32(params.pad);
  let sx = i32(xo + dx) - i32(params.pad);
  if (sy < 0 || sy >= i32(params.h) || sx < 0 || sx >= i32(params.w)) { return 0.0; }
  return x[base + ch * hw + u32(sy) * params.w + u32(sx)];
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let image = linear_workgroup_id(wid, nwg);
  if (image >= params.n) { return; }
  let seed = u32(seed_buf[0]);
  let span = 2u * params.pad + 1u;
  let dy = draw(seed, image, 0u) % span;
  let dx = draw(seed, image, 1u) % span;
  let flipped = FLIP == 1u && (draw(seed, image, 2u) >> 31u) == 1u;
  let base = image * params.count;

  var m = 0.0;
  var s = 1.0;
  var delta = 0.0;
  if (BRIGHT == 1u) { delta = params.brightness * signed_unit(seed, image, 3u); }
  if (CONTRAST == 1u) {
    s = 1.0 + params.contrast * signed_unit(seed, image, 4u);
    var acc = 0.0;
    for (var i = t; i < params.count; i += WG) { acc += sample(base, i, dy, dx, flipped); }
    partial[t] = acc;
    workgroupBarrier();
    for (var half = WG / 2u; half > 0u; half /= 2u) {
      if (t < half) { partial[t] += partial[t + half]; }
      workgroupBarrier();
    }
    m = partial[0] * params.inv_count;
  }
  let shift = m + delta;
  for (var i = t; i < params.count; i += WG) {
    let v = sample(base, i, dy, dx, flipped);
    if (BRIGHT == 1u || CONTRAST == 1u) {
      out[base + i] = (v - m) * s + shift;
    } else {
      out[base + i] = v;
    }
  }
}
