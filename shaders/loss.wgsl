// Losses, each from one (N, K) prediction: the per-sample loss (N) and the gradient of the
// batch mean loss with respect to the prediction (N, K). One workgroup (WG invocations, a power
// of two) handles one sample row; invocation t handles the row's elements j = t, t + WG, ...
// and row sums are reduced across the workgroup with a shared-memory tree. Rows may be folded
// into y: the row is wid.x + wid.y · nwg.x (uniform across the workgroup, so the barriers stay
// in uniform control flow).
//
// Entry `softmax_cross_entropy`: pred = logits, aux = labels (N) as floats.
//   loss = log Σ_j exp(x_j − max) − (x_label − max); grad_j = (softmax_j − [j = label]) / N.
// Entry `rbf_loss` (LeCun 1998's Euclidean RBF loss): pred = squared distances, aux = labels.
//   loss = pred[label]; grad_j = [j = label] / N.
// Entry `mse`: aux = target (N, K). loss = ½ Σ_j (p_j − t_j)²; grad_j = (p_j − t_j) / N.
//
// Labels are not validated here (that would need a readback): a label is rounded and clamped
// to 0..K−1. The CPU reference rejects bad labels, and the trainer checks them on the host
// before uploading.
// A NaN or +Inf logit makes its row's loss and gradient NaN (`max_nan`, `exp_nan`), as on the CPU.
// Requires the index and IEEE preludes.

override WG: u32 = 64u;

// Uniforms: LossParams, generated from LOSS_PARAMS in src/backends/webgpu/kernels/loss.ts.
@group(0) @binding(0) var<uniform> params: LossParams;
@group(0) @binding(1) var<storage, read> pred: array<f32>;        // (N, K)
@group(0) @binding(2) var<storage, read> aux: array<f32>;         // labels (N) or target (N, K)
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;  // (N)
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;  // (N, K)

var<workgroup> red: array<f32, WG>;

/** Tree reduction of red[0..WG) into red[0], as a max (is_max) or a sum. Call in uniform control flow. */
fn reduce_workgroup(t: u32, is_max: bool) -> f32 {
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      if (is_max) { red[t] = max_nan(red[t], red[t + s]); } else { red[t] += red[t + s]; }
    }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();  // everyone has read red[0] before it is reused
  return r;
}

/** The row's label as an index in 0..cols−1 (rounded, clamped; NaN ends up in range too). */
fn label_of(row: u32) -> u32 {
  let l = clamp(round(aux[row]), 0.0, f32(params.cols - 1u));
  return min(u32(l), params.cols - 1u);
}

@compute @workgroup_size(WG)
fn softmax_cross_entropy(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linear_workgroup_id(wid, nwg);
  if (row >= params.rows) { return; }
  let t = lid.x;
  let cols = params.cols;
  let base = row * cols;

  var m = -f32_inf();
  for (var j = t; j < cols; j += WG) { m = max_nan(m, pred[base + j]); }
  red[t] = m;
  let row_max = reduce_workgroup(t, true);

  var sum = 0.0;
  for (var j = t; j < cols; j += WG) { sum += exp_nan(pred[base + j] - row_max); }
  red[t] = sum;
  let total = reduce_workgroup(t, false);

  let label = label_of(row);
  let inv_total = 1.0 / total;
  let inv_n = 1.0 / f32(params.rows);
  for (var j = t; j < cols; j += WG) {
    let p = exp_nan(pred[base + j] - row_max) * inv_total;
    grad[base + j] = (p - select(0.0, 1.0, j == label)) * inv_n;
  }
  if (t == 0u) { loss[row] = log_nan(total) - (pred[base + label] - row_max); }
}

@compute @workgroup_size(WG)
fn rbf_loss(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linear_workgroup_id(wid, nwg);
  if (row >= params.rows) { return; }
  let t = lid.x;
  let base = row * params.cols;
  let label = label_of(row);
  let inv_n = 1.0 / f32(params.rows);
  for (var j = t; j < params.cols; j += WG) { grad[base + j] = select(0.0, inv_n, j == label); }
  if (t == 0u) { loss[row] = pred[base + label]; }
}

@compute @workgroup_size(WG)
fn mse(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linear_workgroup_id(wid, nwg);
  if (row >= params.rows) { return; }
  let t = lid.x;
  let base = row * params.cols;
  let inv_n = 1.0 / f32(params.rows);
  var sum = 0.0;
  for (var j = t; j < params.cols; j += WG) {
    let d = pred[base + j] - aux[base + j];
    sum += d * d;
    grad[base + j] = d * inv_n;
  }
  red[t] = sum;
  let total = reduce_workgroup(t, false);
  if (t == 0u) { loss[row] = 0.5 * total; }
}
