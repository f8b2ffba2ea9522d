/** CPU references of stridedView (each output element read at start + step·coord, modulo the input's size) and stridedScatter (its inverse). */
import type { Shape } from '../../shape.js';
import { sizeOf, stridesOf } from '../../shape.js';
import type { StridedViewAttrs } from '../../ops/strided_view.js';
import type { HostTensor } from './host_tensor.js';
import type { CpuKernel } from './kernels.js';

/** Calls `fn(i, coord)` for every row-major index i of `shape` with its coordinates. */
function forEachCoord(shape: Shape, fn: (i: number, coord: readonly number[]) => void): void {
  const coord = new Array<number>(shape.length).fill(0);
  const count = sizeOf(shape);
  for (let i = 0; i < count; i++) {
    fn(i, coord);
    for (let d = coord.length - 1; d >= 0; d--) {
      if (++coord[d] < shape[d]) break;
      coord[d] = 0;
    }
  }
}

const mod = (v: number, m: number) => ((v % m) + m) % m;

export function stridedViewCpu([x]: readonly HostTensor[], { start, step }: StridedViewAttrs, outShape: Shape): HostTensor {
  const inStrides = stridesOf(x.shape);
  const out = new Float32Array(sizeOf(outShape));
  forEachCoord(outShape, (i, c) => {
    let src = 0;
    for (let d = 0; d < c.length; d++) src += mod(start[d] + step[d] * c[d], x.shape[d]) * inStrides[d];
    out[i] = x.data[src];
  });
  return { data: out, shape: [...outShape] };
}

export function stridedScatterCpu([dy]: readonly HostTensor[], { start, step }: StridedViewAttrs, outShape: Shape): HostTensor {
  const outStrides = stridesOf(outShape);
  const out = new Float32Array(sizeOf(outShape));
  forEachCoord(dy.shape, (i, c) => {
    let dst = 0;
    for (let d = 0; d < c.length; d++) dst += (start[d] + step[d] * c[d]) * outStrides[d];
    out[dst] = dy.data[i];
  });
  return { data: out, shape: [...outShape] };
}

export const cpuKernels: Readonly<Record<string, CpuKernel>> = { stridedView: stridedViewCpu, stridedScatter: stridedScatterCpu };
