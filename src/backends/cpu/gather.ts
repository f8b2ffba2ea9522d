/** CPU references of gather (numpy.take along an axis) and its gradient (a scatter-add into zeros). */
import type { Shape } from '../../shape.js';
import { sizeOf } from '../../shape.js';
import { InvalidArgumentError } from '../../errors.js';
import { type GatherAttrs, type GatherGradAttrs, gatherIndex, inferGather } from '../../ops/gather.js';
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

export const cpuKernels: Readonly<Record<string, CpuKernel>> = { gather: gatherCpu, gatherGrad: gatherGradCpu };
