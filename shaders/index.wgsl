// Index prelude, prepended to kernels that index 1-D problems or NCHW tensors (see
// `withPreludes` in src/backends/webgpu/shaders.ts). Not a kernel on its own: it computes
// nothing per workgroup or invocation, it only names index arithmetic the kernels share.
// Requires the including kernel to declare `override WG: u32` (its 1-D workgroup size).

// A 1-D problem whose workgroup count exceeded maxComputeWorkgroupsPerDimension is folded into
// y by `grid1d` (src/backends/webgpu/program.ts): these recover the linear id, which the caller
// must bound-check.

// The invocation's linear id when one invocation handles one work item (WG per workgroup).
fn linear_invocation_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// The workgroup's linear id when one workgroup handles one work item.
fn linear_workgroup_id(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// Element i of a row-major (N, C, H, W) tensor with c channels of h × w: its image, channel,
// row and column.
struct Nchw {
  n: u32,
  c: u32,
  y: u32,
  x: u32,
}

fn nchw_pos(i: u32, c: u32, h: u32, w: u32) -> Nchw {
  return Nchw(i / (w * h * c), (i / (w * h)) % c, (i / w) % h, i % w);
}

// Element i of a stack of h × w planes (an NCHW tensor's N·C planes): its plane, row and column.
struct PlanePos {
  plane: u32,
  y: u32,
  x: u32,
}

fn plane_pos(i: u32, h: u32, w: u32) -> PlanePos {
  let t = i / w;
  return PlanePos(t / h, t % h, i % w);
}

// Element d of a rank ≤ 8 list packed four to a vec4, as `uniformStruct` packs array fields
// (src/backends/webgpu/uniform_struct.ts).
fn dim_at(a: array<vec4<u32>, 2>, d: u32) -> u32 {
  return a[d / 4u][d % 4u];
}
