/**
 * CPU reference of the reductions: each output folds its reduced elements in float64, in
 * order; the gradient routes dy back to them; argReduce scans for the first (or last) extreme.
 * A NaN is the max and the min (Math.max, Math.min) and the arg of either.
 */
import type { Shape } from '../../shape.js';
import { type ArgReduceAttrs, type ReduceAttrs, offsetsOf, reduceGeometry } from '../../ops/reduce.js';
import type { HostTensor } from './host_tensor.js';
import type { CpuKernel } from './kernels.js';

/** The offset in x of each output's first element, and of each reduced element from there. */
function indexLists(x: Shape, axes: readonly number[]): { bases: Int32Array; offsets: Int32Array } {
  const g = reduceGeometry(x, axes, false);
  return { bases: offsetsOf(g.keptDims, g.keptStrides), offsets: offsetsOf(g.redDims, g.redStrides) };
}

export function reduceCpu([x]: readonly HostTensor[], { kind, axes }: ReduceAttrs, outShape: Shape): HostTensor {
  const { bases, offsets } = indexLists(x.shape, axes);
  const out = new Float32Array(bases.length);
  const n = offsets.length;
  for (let o = 0; o < bases.length; o++) {
    const v = (r: number) => x.data[bases[o] + offsets[r]];
    let acc: number;
    if (kind === 'max' || kind === 'min') {
      acc = kind === 'max' ? -Infinity : Infinity;
      for (let r = 0; r < n; r++) acc = kind === 'max' ? Math.max(acc, v(r)) : Math.min(acc, v(r));
    } else if (kind === 'prod') {
      acc = 1;
      for (let r = 0; r < n; r++) acc *= v(r);
    } else if (kind === 'logSumExp') {
      let m = -Infinity;
      for (let r = 0; r < n; r++) m = Math.max(m, v(r));
      let s = 0;
      for (let r = 0; r < n; r++) s += Math.exp(v(r) - m);
      acc = m + Math.log(s);
    } else {
      let s = 0;
      for (let r = 0; r < n; r++) {
        const e = v(r);
        s += kind === 'l1' ? Math.abs(e) : kind === 'l2' || kind === 'sumSquare' ? e * e : e;
      }
      acc = kind === 'mean' ? s / n : kind === 'l2' ? Math.sqrt(s) : kind === 'logSum' ? Math.log(s) : s;
    }
    out[o] = acc;
  }
  return { data: out, shape: [...outShape] };
}

/**
 * dx of each reduced element from its output's y and dy. Max and min share dy equally among
 * the elements equal to the extreme; prod's gradient is the product of the others (exact
 * with zeros among them).
 */
export function reduceBackwardCpu([x, y, dy]: readonly HostTensor[], { kind, axes }: ReduceAttrs, outShape: Shape): HostTensor {
  const { bases, offsets } = indexLists(x.shape, axes);
  const dx = new Float32Array(x.data.length);
  const n = offsets.length;
  for (let o = 0; o < bases.length; o++) {
    const at = (r: number) => bases[o] + offsets[r];
    const yo = y.data[o];
    const g = dy.data[o];
    let ties = 0;
    let zeros = 0;
    let nonzeroProd = 1;
    for (let r = 0; r < n; r++) {
      const e = x.data[at(r)];
      if (e === yo) ties++;
      if (e === 0) zeros++;
      else nonzeroProd *= e;
    }
    for (let r = 0; r < n; r++) {
      const e = x.data[at(r)];
      let d: number;
      switch (kind) {
        case 'sum': d = g; break;
        case 'mean': d = g / n; break;
        case 'max':
        case 'min': d = e === yo ? g / ties : 0; break;
        case 'prod': d = zeros === 0 ? (g * nonzeroProd) / e : zeros === 1 && e === 0 ? g * nonzeroProd : 0; break;
        case 'l1': d = g * Math.sign(e); break;
        case 'l2': d = yo > 0 ? (g * e) / yo : 0; break;
        case 'sumSquare': d = 2 * g * e; break;
        case 'logSum': d = g * Math.exp(-yo); break;
        case 'logSumExp': d = g * Math.exp(e - yo); break;
      }
      dx[at(r)] = d;
    }
  }
  return { data: dx, shape: [...outShape] };
}

export function argReduceCpu([x]: readonly HostTensor[], { kind, axis, selectLast }: ArgReduceAttrs, outShape: Shape): HostTensor {
  const { bases, offsets } = indexLists(x.shape, [axis]);
  const out = new Float32Array(bases.length);
  for (let o = 0; o < bases.length; o++) {
    let best = 0;
    let bv = x.data[bases[o]];
    for (let r = 1; r < offsets.length; r++) {
      const v = x.data[bases[o] + offsets[r]];
      // A NaN beats any number (NumPy's and PyTorch's rule); between two NaNs, as for ties.
      const tie = v === bv || (Number.isNaN(v) && Number.isNaN(bv));
      const beats = Number.isNaN(bv) ? false : Number.isNaN(v) || (kind === 'max' ? v > bv : v < bv);
      if (beats || (selectLast && tie)) {
        best = r;
        bv = v;
      }
    }
    out[o] = best;
  }
  return { data: out, shape: [...outShape] };
}

export const cpuKernels: Readonly<Record<string, CpuKernel>> = { reduce: reduceCpu, reduceBackward: reduceBackwardCpu, argReduce: argReduceCpu };
