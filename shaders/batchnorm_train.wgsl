// Batch normalization in training mode, forward and backward. x is viewed as (N, C, S) with S
// the product of the dimensions after C; a channel's M = N·S values are x[(n·C + c)·S + s].
// Entry points (each binds only its own variables; bindings of different entry points may
// share a number):
//
// The per-channel reductions run in one pass (`stats`, `backward_reduce`: one workgroup per
// channel) or, for few long channels, in two (selectReductionSplit in
// src/backends/webgpu/reduction.ts): `stats_partial` / `backward_partial` with `parts`
// workgroups per channel, workgroup (c, j) = id c·parts + j reducing the values
// i ∈ [j·chunk, min(M, (j + 1)·chunk)), then `stats_combine` / `backward_combine` with one
// invocation per channel folding its parts in order. Invocation t of a workgroup handles the
// values i = i0 + t, i0 + t + WG, …; it steps (n, s) by the host's step_n = ⌊WG / S⌋ and
// step_s = WG mod S rather than dividing i by S per value.
//
// stats — invocation t sums its values, reduced across the workgroup with a shared-memory
//   tree: the sum (→ mean μ), then Σ(x − μ)² (→ the biased variance σ²; two passes rather than
//   E[x²] − μ², which cancels catastrophically). Invocation 0 writes mean and
//   invStd = 1/√(σ² + ε) and updates the running statistics in place:
//   running_mean ← (1 − m)·running_mean + m·μ, running_var ← (1 − m)·running_var + m·σ²·M/(M − 1).
// stats_partial — the same two passes over one part, storing the part's (mean, Σ(x − mean)²).
// stats_combine — folds a channel's parts with Chan et al.'s pairwise update (no cancellation:
//   M2 = M2_a + M2_b + δ²·n_a·n_b/(n_a + n_b), δ the difference of the means), then as stats.
// apply — y = act(γ(x − μ)·invStd + β); one invocation computes 4 consecutive outputs (one
//   vec4, each lane finds its own channel; buffers are padded to 16 bytes so the tail vec4 stays
//   in bounds), one workgroup 4·WG.
// backward_reduce — one workgroup per channel, as stats: dβ = Σ dy and dγ = Σ dy·x̂ with
//   x̂ = (x − μ)·invStd, reduced together as a vec2. backward_partial stores a part's
//   (Σ dy, Σ dy·x̂); backward_combine adds a channel's parts in order.
// backward_dx — dx = γ·invStd/M·(M·dy − dβ − x̂·dγ), 4 outputs per invocation as apply.
// Channels (stats, backward_reduce) and the elementwise problem may be folded into y: the
// linear workgroup id is wid.x + wid.y·nwg.x. Requires the activation and index preludes.

override WG: u32 = 256u;

// Uniforms: BatchNormTrainParams, generated from BN_TRAIN_PARAMS in
// src/backends/webgpu/kernels/batchnorm.ts.
@group(0) @binding(0) var<uniform> params: BatchNormTrainParams;

// Value i = n·S + s of a channel, walked by an invocation WG values at a time.
struct Cursor {
  i: u32,
  n: u32,
  s: u32,
}

fn cursor_at(i: u32) -> Cursor {
  let n = i / params.spatial;
  return Cursor(i, n, i - n * params.spatial);
}

fn cursor_next(cur: ptr<function, Cursor>) {
  (*cur).i += WG;
  (*cur).n += params.step_n;
  (*cur).s += params.step_s;
  if ((*cur).s >= params.spatial) {
    (*cur).s -= params.spatial;
    (*cur).n += 1u;
  }
}

// Buffer index of the cursor's value in channel c.
fn cursor_index(c: u32, cur: Cursor) -> u32 {
  return (cur.n * params.channels + c) * params.spatial + cur.s;
}

// Values [first, end) of part j of a channel.
fn part_first(j: u32) -> u32 { return j * params.chunk; }
fn part_end(j: u32) -> u32 { return min(params.count, (j + 1u) * params.chunk); }

fn channel_of(e: u32) -> u32 {
  return (e / params.spatial) % params.channels;
}

// ---- stats --------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> x: array<f32>;                    // (N, C, S)
@group(0) @binding(2) var<storage, read_write> mean_out: array<f32>;       // (C)
@group(0) @binding(3) var<storage, read_write> inv_std_out: array<f32>;    // (C)
@group(0) @binding(4) var<storage, read_write> running_mean: array<f32>;   // (C), in place
@group(0) @binding(5) var<storage, read_write> running_var: array<f32>;    // (C), in place

var<workgroup> red: array<f32, WG>;

fn reduce_sum(t: u32, v: f32) -> f32 {
  red[t] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) { red[t] += red[t + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();  // everyone has read red[0] before it is reused
  return total;
}

// (mean, Σ(x − mean)²) of channel c's values [first, end), by the whole workgroup.
fn mean_m2(c: u32, t: u32, first: u32, end: u32) -> vec2<f32> {
  let m = f32(end - first);
  var sum = 0.0;
  for (var cur = cursor_at(first + t); cur.i < end; cursor_next(&cur)) { sum += x[cursor_index(c, cur)]; }
  let mu = reduce_sum(t, sum) / m;
  var sq = 0.0;
  for (var cur = cursor_at(first + t); cur.i < end; cursor_next(&cur)) {
    let d = x[cursor_index(c, cur)] - mu;
    sq += d * d;
  }
  return vec2<f32>(mu, reduce_sum(t, sq));
}

// Writes channel c's mean and invStd and updates its running statistics.
fn finish_stats(c: u32, mu: f32, variance: f32) {
  mean_out[c] = mu;
  inv_std_out[c] = 1.0 / sqrt(variance + params.epsilon);
  let k = params.momentum;
  running_mean[c] = (1.0 - k) * running_mean[c] + k * mu;
  running_var[c] = (1.0 - k) * running_var[c] + k * variance * params.unbias;
}

@compute @workgroup_size(WG)
fn stats(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  // Uniform across the workgroup, so the barriers below stay in uniform control flow.
  let c = linear_workgroup_id(wid, nwg);
  if (c >= params.channels) { return; }
  let r = mean_m2(c, lid.x, 0u, params.count);
  if (lid.x == 0u) { finish_stats(c, r.x, r.y / f32(params.count)); }
}

@group(0) @binding(2) var<storage, read_write> partials_out: array<vec2<f32>>;  // (C, parts): stats_partial's (mean, M2)

@compute @workgroup_size(WG)
fn stats_partial(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = linear_workgroup_id(wid, nwg);
  if (id >= params.channels * params.parts) { return; }
  let c = id / params.parts;
  let j = id - c * params.parts;
  let r = mean_m2(c, lid.x, part_first(j), part_end(j));
  if (lid.x == 0u) { partials_out[id] = r; }
}

@group(0) @binding(1) var<storage, read> partials_in: array<vec2<f32>>;  // (C, parts): the combines' input

@compute @workgroup_size(WG)
fn stats_combine(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = linear_invocation_id(gid, nwg);
  if (c >= params.channels) { return; }
  var n = 0.0;
  var mu = 0.0;
  var m2 = 0.0;
  for (var j = 0u; j < params.parts; j++) {
    let r = partials_in[c * params.parts + j];
    let nb = f32(part_end(j) - part_first(j));
    let total = n + nb;
    let delta = r.x - mu;
    mu += delta * (nb / total);
    m2 += r.y + delta * delta * (n * nb / total);
    n = total;
  }
  finish_stats(c, mu, m2 / n);
}

// ---- apply --------------------------------------------------------------------------------

@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;           // (N, C, S)
@group(0) @binding(2) var<storage, read> mean_in: array<f32>;            // (C)
@group(0) @binding(3) var<storage, read> inv_std_in: array<f32>;         // (C)
@group(0) @binding(4) var<storage, read> gamma: array<f32>;              // (C)
@group(0) @binding(5) var<storage, read> beta: array<f32>;               // (C)
@group(0) @binding(6) var<storage, read_write> y4: array<vec4<f32>>;     // (N, C, S)

fn apply_one(v: f32, c: u32) -> f32 {
  return activate(gamma[c] * (v - mean_in[c]) * inv_std_in[c] + beta[c]);
}

@compute @workgroup_size(WG)
fn apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count4) { return; }
  // Lanes past the end read and write the buffers' padding: harmless.
  let v = x4[i];
  let e = 4u * i;
  y4[i] = vec4<f32>(
    apply_one(v.x, channel_of(e)),
    apply_one(v.y, channel_of(e + 1u)),
    apply_one(v.z, channel_of(e + 2u)),
    apply_one(v.w, channel_of(e + 3u)),
  );
}

// ---- backward_reduce ------------------------------------------------------------------------

// binding 1: x, 2: mean_in, 3: inv_std_in (declared above)
@group(0) @binding(4) var<storage, read> dy: array<f32>;                   // (N, C, S)
@group(0) @binding(5) var<storage, read_write> dgamma_out: array<f32>;     // (C)
@group(0) @binding(6) var<storage, read_write> dbeta_out: array<f32>;      // (C)

var<workgroup> red2: array<vec2<f32>, WG>;

// (Σ dy, Σ dy·x̂) over channel c's values [first, end), by the whole workgroup; invocation 0's result is the total.
fn dy_sums(c: u32, t: u32, first: u32, end: u32) -> vec2<f32> {
  let mu = mean_in[c];
  let inv = inv_std_in[c];
  var acc = vec2<f32>(0.0);
  for (var cur = cursor_at(first + t); cur.i < end; cursor_next(&cur)) {
    let k = cursor_index(c, cur);
    let g = dy[k];
    acc += vec2<f32>(g, g * (x[k] - mu) * inv);
  }
  red2[t] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) { red2[t] += red2[t + s]; }
    workgroupBarrier();
  }
  return red2[0];
}

@compute @workgroup_size(WG)
fn backward_reduce(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = linear_workgroup_id(wid, nwg);
  if (c >= params.channels) { return; }
  let r = dy_sums(c, lid.x, 0u, params.count);
  if (lid.x == 0u) {
    dbeta_out[c] = r.x;
    dgamma_out[c] = r.y;
  }
}

@group(0) @binding(5) var<storage, read_write> dy_partials_out: array<vec2<f32>>;  // (C, parts): backward_partial's sums

@compute @workgroup_size(WG)
fn backward_partial(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = linear_workgroup_id(wid, nwg);
  if (id >= params.channels * params.parts) { return; }
  let c = id / params.parts;
  let j = id - c * params.parts;
  let r = dy_sums(c, lid.x, part_first(j), part_end(j));
  if (lid.x == 0u) { dy_partials_out[id] = r; }
}

// binding 1: partials_in (declared above)
@compute @workgroup_size(WG)
fn backward_combine(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = linear_invocation_id(gid, nwg);
  if (c >= params.channels) { return; }
  var r = vec2<f32>(0.0);
  for (var j = 0u; j < params.parts; j++) { r += partials_in[c * params.parts + j]; }
  dbeta_out[c] = r.x;
  dgamma_out[c] = r.y;
}

// ---- backward_dx ------------------------------------------------------------------------------

// binding 1: x4, 2: mean_in, 3: inv_std_in (declared above)
@group(0) @binding(4) var<storage, read> dy4: array<vec4<f32>>;           // (N, C, S)
@group(0) @binding(5) var<storage, read> gamma_in: array<f32>;            // (C)
@group(0) @binding(6) var<storage, read> dgamma_in: array<f32>;           // (C)
@group(0) @binding(7) var<storage, read> dbeta_in: array<f32>;            // (C)
@group(0) @binding(8) var<storage, read_write> dx4: array<vec4<f32>>;     // (N, C, S)

fn dx_one(v: f32, g: f32, c: u32) -> f32 {
  let inv = inv_std_in[c];
  let m = f32(params.count);
  let xhat = (v - mean_in[c]) * inv;
  return gamma_in[c] * inv / m * (m * g - dbeta_in[c] - xhat * dgamma_in[c]);
}

@compute @workgroup_size(WG)
fn backward_dx(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linear_invocation_id(gid, nwg);
  if (i >= params.count4) { return; }
  let v = x4[i];
  let g = dy4[i];
  let e = 4u * i;
  dx4[i] = vec4<f32>(
    dx_one(v.x, g.x, channel_of(e)),
    dx_one(v.y, g.y, channel_of(e + 1u)),
    dx_one(v.z, g.z, channel_of(e + 2u)),
    dx_one(v.w, g.w, channel_of(e + 3u)),
  );
}
