// Concatenation, one dispatch per input: copies input x, viewed as (outer, size, inner), into
// its slice of the output, viewed as (outer, total, inner), starting at `offset` along the axis.
// In units of elements, x's row o (block = size * inner values) goes to
// out[o * out_block + offset * inner ...].
// One invocation copies 4 consecutive input elements (one vec4 load; x is padded to 16 bytes)
// and stores the ones inside x to their places; one workgroup copies 4 * WG elements. With
// ALIGNED = 1 (block % 4 == 0) the four lanes share one row and land contiguously. The
// problem may be folded into y: the linear id is gid.x + gid.y * nwg.x * WG. Requires the index
// prelude.

override WG: u32 = 256u;
// 1 when block is a multiple of 4.
override ALIGNED: u32 = 0u;

// Uniforms: ConcatParams, generated from CONCAT_PARAMS in src/backends/webgpu/kernels/tensor_ops.ts.
@group(0) @binding(0) var<uniform> params: ConcatParams;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;    // (outer, size, inner)
@group(0) @binding(2) var<storage, read_write> out: array<f32>;  // (outer, total, inner)

fn dest(e: u32) -> u32 {
  let o = e / params.block;
  return o * params.out_block + params.start + (e - o * params.block);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  let e = 4u * i;
  if (e >= params.count) { return; }
  let v = x[i];
  if (ALIGNED == 1u) {
    // count is a multiple of block, hence of 4: all four lanes are inside x.
    let d = dest(e);
    out[d] = v.x;
    out[d + 1u] = v.y;
    out[d + 2u] = v.z;
    out[d + 3u] = v.w;
  } else {
    // Lanes past the end of x map past the end of the output. Skip them rather than rely on
    // robust access, which may clamp an out-of-bounds store onto a real element.
    out[dest(e)] = v.x;
    if (e + 1u < params.count) { out[dest(e + 1u)] = v.y; }
    if (e + 2u < params.count) { out[dest(e + 2u)] = v.z; }
    if (e + 3u < params.count) { out[dest(e + 3u)] = v.w; }
  }
}
