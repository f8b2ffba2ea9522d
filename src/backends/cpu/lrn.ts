/**
 * CPU reference: local response normalization across channels, forward and backward. Naive
 * loops, float64 accumulation, float32 storage. Shape checks: src/ops/pool.ts and
 * src/ops/pool_backward.ts, shared with the WebGPU kernels (../webgpu/kernels/lrn.ts).
 */
import type { HostTensor } from './host_tensor.js';
import { type LrnParams, inferLrn } from '../../ops/pool.js';
import { inferLrnBackward } from '../../ops/pool_backward.js';

export function lrnCpu(x: HostTensor, params: LrnParams): HostTensor {
  const g = inferLrn(x.shape, params);
  const out = new Float32Array(x.data.length); // same shape as x
  for (let n = 0; n < g.n; n++) {
    for (let c = 0; c < g.c; c++) {
      const lo = Math.max(0, c - g.before);
      const hi = Math.min(g.c - 1, c + g.after);
      for (let p = 0; p < g.plane; p++) {
        let sq = 0;
        for (let cc = lo; cc <= hi; cc++) {
          const v = x.data[(n * g.c + cc) * g.plane + p];
          sq += v * v;
        }
        const i = (n * g.c + c) * g.plane + p;
        out[i] = x.data[i] / Math.pow(g.k + (g.alpha / g.size) * sq, g.beta);
      }
    }
  }
  return { data: out, shape: x.shape };
}

/**
 * y_c = x_c·D_c^(−β), D_c = k + (α/size)·Σ_{c' ∈ window(c)} x_c'². Channel j is in the
 * windows of c = j − after .. j + before, so
 * dx_j = dy_j·D_j^(−β) − 2(α/size)β·x_j·Σ_{c : j ∈ window(c)} dy_c·x_c·D_c^(−β−1).
 */
export function lrnBackwardCpu(x: HostTensor, dy: HostTensor, params: LrnParams): HostTensor {
  const g = inferLrnBackward(x.shape, dy.shape, params);
  const a = g.alpha / g.size;
  const dx = new Float32Array(x.data.length); // same shape as x
  const at = (n: number, c: number, p: number) => (n * g.c + c) * g.plane + p;
  const denom = new Float64Array(g.c); // D_c at one (n, p)
  for (let n = 0; n < g.n; n++) {
    for (let p = 0; p < g.plane; p++) {
      for (let c = 0; c < g.c; c++) {
        let sq = 0;
        for (let cc = Math.max(0, c - g.before); cc <= Math.min(g.c - 1, c + g.after); cc++) sq += x.data[at(n, cc, p)] ** 2;
        denom[c] = g.k + a * sq;
      }
      for (let j = 0; j < g.c; j++) {
        let cross = 0;
        for (let c = Math.max(0, j - g.after); c <= Math.min(g.c - 1, j + g.before); c++) {
          cross += dy.data[at(n, c, p)] * x.data[at(n, c, p)] * Math.pow(denom[c], -g.beta - 1);
        }
        const i = at(n, j, p);
        dx[i] = dy.data[i] * Math.pow(denom[j], -g.beta) - 2 * a * g.beta * x.data[i] * cross;
      }
    }
  }
  return { data: dx, shape: x.shape };
}
