// 2-D convolution in connection-table mode (LeNet-5's C3), NCHW. Two entry points over the
// same bindings and uniforms.
// Output map o reads the input maps indices[offsets[o] .. offsets[o+1]); the j-th (o, input)
// pair in that order has its own kH×kW kernel, w[j].
//
// `table_expand` — the fast path: the table's weights spread into dense (Cout, C, kH, kW)
// weights with zeros for the pairs the table leaves out, which the dense GEMM kernels then
// convolve with (an absent pair contributes exactly 0). One invocation writes one dense
// weight: dense[o, ci, ky, kx] = w[slot[o·C + ci], ky, kx], or 0 when the slot is NO_PAIR.
// The host-built slot map (Cout·C) is bound at binding 4 (`offsets`'s slot); x, bias and
// indices are not read. One workgroup writes WG consecutive weights (1-D, folded into y when
// large).
//
// `main` — the direct reference kernel (debug.forceNaive): no tiling, one invocation computes
// one output value with a plain loop over its connected maps and window; one workgroup
// computes WG consecutive outputs (1-D, folded into y when large).
// Requires the activation, index and direct-convolution preludes.

override WG: u32 = 64u;
// 1 when the bias binding holds a bias (otherwise it aliases the weights and is not read).
override HAS_BIAS: u32 = 0u;

// An absent (o, ci) pair in the slot map of `table_expand`.
const NO_PAIR: u32 = 0xffffffffu;

// Uniforms: Conv2dParams, generated from CONV2D_PARAMS in src/backends/webgpu/kernels/conv2d.ts
// (the forward's: `total` is the work items, output values or dense weights).
@group(0) @binding(0) var<uniform> p: Conv2dParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;        // (N, C, H, W)
@group(0) @binding(2) var<storage, read> wt: array<f32>;       // (Σ|table[o]|, kH, kW)
@group(0) @binding(3) var<storage, read> bias: array<f32>;     // (Cout), if HAS_BIAS
@group(0) @binding(4) var<storage, read> offsets: array<u32>;  // (Cout + 1); `table_expand`: the slot map (Cout·C)
@group(0) @binding(5) var<storage, read> indices: array<u32>;  // (Σ|table[o]|)
@group(0) @binding(6) var<storage, read_write> out: array<f32>;  // (N, Cout, Ho, Wo); `table_expand`: (Cout, C, kH, kW)

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = linear_invocation_id(gid, nwg);
  if (idx >= p.total) { return; }
  let o = nchw_pos(idx, p.cout, p.ho, p.wo);
  var s = 0.0;
  for (var j = offsets[o.c]; j < offsets[o.c + 1u]; j++) {
    s = add_window(s, (o.n * p.c + indices[j]) * p.h * p.w, j * p.kh * p.kw, o.y, o.x);
  }
  if (HAS_BIAS == 1u) { s += bias[o.c]; }
  out[idx] = activate(s);
}

@compute @workgroup_size(WG)
fn table_expand(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = linear_invocation_id(gid, nwg);
  if (idx >= p.total) { return; }
  let khw = p.kh * p.kw;
  // idx = (o·C + ci)·kH·kW + (ky·kW + kx).
  let j = offsets[idx / khw];
  var v = 0.0;
  if (j != NO_PAIR) { v = wt[j * khw + idx % khw]; }
  out[idx] = v;
}
