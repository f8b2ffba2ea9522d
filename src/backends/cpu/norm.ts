/**
 * CPU reference of layer / group / instance normalization (src/ops/norm.ts): plain loops over
 * the rows of x seen as (outer, groups, rowLen), statistics in float64.
 */
import type { Shape } from '../../shape.js';
import { type NormAttrs, type NormGeometry, type NormStatsAttrs, normGeometry } from '../../ops/norm.js';
import type { HostTensor } from './host_tensor.js';
import type { CpuKernel } from './kernels.js';

/** Mean and 1/√(biased variance + ε) of each row. */
function rowStats(x: Float32Array, g: NormGeometry, epsilon: number): Float64Array {
  const stats = new Float64Array(g.rows * 2);
  for (let r = 0; r < g.rows; r++) {
    const at = r * g.rowLen;
    let s = 0;
    for (let j = 0; j < g.rowLen; j++) s += x[at + j];
    const mean = s / g.rowLen;
    let v = 0;
    for (let j = 0; j < g.rowLen; j++) v += (x[at + j] - mean) ** 2;
    stats[2 * r] = mean;
    stats[2 * r + 1] = 1 / Math.sqrt(v / g.rowLen + epsilon);
  }
  return stats;
}

/** The scale index of element j of row r. */
const paramIndex = (g: NormGeometry, r: number, j: number) => Math.floor(((r % g.groups) * g.rowLen + j) / g.spatial);

export function normCpu([x, scale, bias]: readonly HostTensor[], attrs: NormAttrs, outShape: Shape): HostTensor {
  const g = normGeometry('norm', x.shape, attrs);
  const stats = rowStats(x.data, g, attrs.epsilon);
  const y = new Float32Array(x.data.length);
  for (let r = 0; r < g.rows; r++) {
    for (let j = 0; j < g.rowLen; j++) {
      const i = r * g.rowLen + j;
      const p = paramIndex(g, r, j);
      y[i] = (x.data[i] - stats[2 * r]) * stats[2 * r + 1] * scale.data[p] + bias.data[p];
    }
  }
  return { data: y, shape: [...outShape] };
}

export function normStatsCpu([x]: readonly HostTensor[], attrs: NormStatsAttrs, outShape: Shape): HostTensor {
  const g = normGeometry('normStats', x.shape, attrs);
  const both = rowStats(x.data, g, attrs.epsilon);
  const data = attrs.stat ? Float32Array.from({ length: g.rows }, (_, r) => both[2 * r + (attrs.stat === 'mean' ? 0 : 1)]) : Float32Array.from(both);
  return { data, shape: [...outShape] };
}

export function normGradInputCpu([x, scale, stats, dy]: readonly HostTensor[], attrs: NormAttrs, outShape: Shape): HostTensor {
  const g = normGeometry('normGradInput', x.shape, attrs);
  const dx = new Float32Array(x.data.length);
  for (let r = 0; r < g.rows; r++) {
    const mean = stats.data[2 * r];
    const inv = stats.data[2 * r + 1];
    let sg = 0;
    let sgx = 0;
    for (let j = 0; j < g.rowLen; j++) {
      const i = r * g.rowLen + j;
      const gh = dy.data[i] * scale.data[paramIndex(g, r, j)];
      sg += gh;
      sgx += gh * (x.data[i] - mean) * inv;
    }
    for (let j = 0; j < g.rowLen; j++) {
      const i = r * g.rowLen + j;
      const gh = dy.data[i] * scale.data[paramIndex(g, r, j)];
      const xh = (x.data[i] - mean) * inv;
      dx[i] = inv * (gh - sg / g.rowLen - (xh * sgx) / g.rowLen);
    }
  }
  return { data: dx, shape: [...outShape] };
}

export function normGradParamsCpu([x, stats, dy]: readonly HostTensor[], attrs: NormAttrs, outShape: Shape): HostTensor {
  const g = normGeometry('normGradParams', x.shape, attrs);
  const dScale = new Float64Array(g.params);
  const dBias = new Float64Array(g.params);
  for (let r = 0; r < g.rows; r++) {
    for (let j = 0; j < g.rowLen; j++) {
      const i = r * g.rowLen + j;
      const p = paramIndex(g, r, j);
      dScale[p] += dy.data[i] * (x.data[i] - stats.data[2 * r]) * stats.data[2 * r + 1];
      dBias[p] += dy.data[i];
    }
  }
  const out = new Float32Array(2 * g.params);
  out.set(dScale);
  out.set(dBias, g.params);
  return { data: out, shape: [...outShape] };
}

export const cpuKernels: Readonly<Record<string, CpuKernel>> = {
  norm: normCpu,
  normStats: normStatsCpu,
  normGradInput: normGradInputCpu,
  normGradParams: normGradParamsCpu,
};
