/** CPU references of gather (numpy.take along an axis), gatherElements (torch.gather) and their gradients (scatter-adds into zeros). */
import type { Shape } from '../../shape.js';
import { sizeOf, stridesOf } from '../../shape.js';
import { InvalidArgumentError } from '../../errors.js';
import { type GatherAttrs, type GatherGradAttrs, gatherIndex, inferGather, inferGatherElements } from '../../ops/gather.js';
import type { HostTensor } from './host_tensor.js';
import type { CpuKernel } from './kernels.js';

/** The indices resolved against an axis of `len`; an index outside it is an error here (the GPU reads 0). */
function resolve(op: string, indices: Float32Array, len: number): number[] {
  return Array.from(indices, (v) => {
    const k = gatherIndex(v, len);
    if (k < 0) throw new InvalidArgumentError(op, `index ${v} is out of range for an axis of size ${len}`);
    return k;
  });
}

export function gatherCpu([data, indices]: readonly HostTensor[], { axis }: GatherAttrs, outShape: Shape): HostTensor {
  const g = inferGather(data.shape, indices.shape, axis);
  const idx = resolve('gather', indices.data, g.axisLen);
  const out = new Float32Array(sizeOf(outShape));
  for (let o = 0; o < g.outer; o++) {
    for (let j = 0; j < g.count; j++) {
      const src = (o * g.axisLen + idx[j]) * g.inner;
      out.set(data.data.subarray(src, src + g.inner), (o * g.count + j) * g.inner);
    }
  }
  return { data: out, shape: [...outShape] };
}

export function gatherGradCpu([dy, indices]: readonly HostTensor[], { axis, shape }: GatherGradAttrs, outShape: Shape): HostTensor {
  const g = inferGather(shape, indices.shape, axis, 'gatherGrad');
  const idx = resolve('gatherGrad', indices.data, g.axisLen);
  const acc = new Float64Array(sizeOf(outShape));
  for (let o = 0; o < g.outer; o++) {
    for (let j = 0; j < g.count; j++) {
      const dst = (o * g.axisLen + idx[j]) * g.inner;
      const src = (o * g.count + j) * g.inner;
      for (let k = 0; k < g.inner; k++) acc[dst + k] += dy.data[src + k];
    }
  }
  return { data: Float32Array.from(acc), shape: [...outShape] };
}


/** Calls `fn(i, coord)` for every row-major index i of `shape`. */
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

/** data's offset of indices' element at `coord`, its axis coordinate replaced by the index. */
function elementOffset(data: Shape, axis: number, coord: readonly number[], k: number): number {
  const strides = stridesOf(data);
  return coord.reduce((s, c, d) => s + (d === axis ? k : c) * strides[d], 0);
}

export function gatherElementsCpu([data, indices]: readonly HostTensor[], { axis }: GatherAttrs, outShape: Shape): HostTensor {
  const a = inferGatherElements(data.shape, indices.shape, axis).axis;
  const idx = resolve('gatherElements', indices.data, data.shape[a]);
  const out = new Float32Array(sizeOf(outShape));
  forEachCoord(indices.shape, (i, c) => (out[i] = data.data[elementOffset(data.shape, a, c, idx[i])]));
  return { data: out, shape: [...outShape] };
}

export function gatherElementsGradCpu([dy, indices]: readonly HostTensor[], { axis, shape }: GatherGradAttrs, outShape: Shape): HostTensor {
  const a = inferGatherElements(shape, indices.shape, axis, 'gatherElementsGrad').axis;
  const idx = resolve('gatherElementsGrad', indices.data, shape[a]);
  const acc = new Float64Array(sizeOf(outShape));
  forEachCoord(indices.shape, (i, c) => (acc[elementOffset(shape, a, c, idx[i])] += dy.data[i]));
  return { data: Float32Array.from(acc), shape: [...outShape] };
}

export const cpuKernels: Readonly<Record<string, CpuKernel>> = {
  gather: gatherCpu,
  gatherGrad: gatherGradCpu,
  gatherElements: gatherElementsCpu,
  gatherElementsGrad: gatherElementsGradCpu,
};
