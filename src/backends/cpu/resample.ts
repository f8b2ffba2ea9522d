/**
 * CPU reference of resample (src/ops/resample.ts): each output element is the float64 sum, over
 * every combination of one entry per mapped axis, of the product of the entries' weights times
 * the input element they address; `fill` where some mapped axis has no entry.
 */
import type { Shape } from '../../shape.js';
import { sizeOf, stridesOf } from '../../shape.js';
import { type ResampleAttrs, outSizeOf } from '../../ops/resample.js';
import type { HostTensor } from './host_tensor.js';
import type { CpuKernel } from './kernels.js';

export function resampleCpu([x]: readonly HostTensor[], { axis, maps, fill }: ResampleAttrs, outShape: Shape): HostTensor {
  const k = maps.length;
  const inner = sizeOf(x.shape.slice(axis + k));
  const outer = sizeOf(x.shape.slice(0, axis));
  const inStrides = stridesOf(x.shape).slice(axis, axis + k); // of the mapped axes
  const inBlock = sizeOf(x.shape.slice(axis));
  const outSizes = maps.map(outSizeOf);
  const out = new Float32Array(sizeOf(outShape));
  const o = new Array<number>(k).fill(0); // the output coordinate on each mapped axis
  const e = new Array<number>(k).fill(0); // the entry taken on each mapped axis
  let i = 0;
  for (let n = 0; n < outer; n++) {
    for (let row = 0; row < sizeOf(outSizes); row++) {
      let empty = false;
      for (let d = 0; d < k; d++) {
        e[d] = maps[d].offsets[o[d]];
        if (e[d] === maps[d].offsets[o[d] + 1]) empty = true;
      }
      for (let j = 0; j < inner; j++) {
        if (empty) {
          out[i++] = fill;
          continue;
        }
        let acc = 0;
        for (;;) {
          let w = 1;
          let src = n * inBlock + j;
          for (let d = 0; d < k; d++) {
            w *= maps[d].weight[e[d]];
            src += maps[d].index[e[d]] * inStrides[d];
          }
          acc += w * x.data[src];
          let d = k - 1;
          for (; d >= 0; d--) {
            if (++e[d] < maps[d].offsets[o[d] + 1]) break;
            e[d] = maps[d].offsets[o[d]];
          }
          if (d < 0) break;
        }
        out[i++] = acc;
      }
      for (let d = k - 1; d >= 0; d--) {
        if (++o[d] < outSizes[d]) break;
        o[d] = 0;
      }
    }
  }
  return { data: out, shape: [...outShape] };
}

export const cpuKernels: Readonly<Record<string, CpuKernel>> = { resample: resampleCpu };
