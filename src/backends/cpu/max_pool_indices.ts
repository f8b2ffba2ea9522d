/** CPU reference of maxPoolIndices: each window scanned row by row, the first max's flat input index kept. */
import type { Shape } from '../../shape.js';
import { inferPool2d } from '../../ops/pool.js';
import type { MaxPoolIndicesAttrs } from '../../ops/max_pool_indices.js';
import type { HostTensor } from './host_tensor.js';
import type { CpuKernel } from './kernels.js';

export function maxPoolIndicesCpu([x]: readonly HostTensor[], { window, columnMajor }: MaxPoolIndicesAttrs, outShape: Shape): HostTensor {
  const g = inferPool2d(x.shape, { ...window, type: 'max' });
  const { h, w, ho, wo, kernel: [kh, kw], stride: [sh, sw], dilation: [dh, dw], pads } = g;
  const out = new Float32Array(g.n * g.c * ho * wo); // (N, C, Ho, Wo)
  let o = 0;
  for (let plane = 0; plane < g.n * g.c; plane++) {
    const base = plane * h * w;
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        let best = NaN;
        let at = -1;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pads.top + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pads.left + kx * dw;
            if (ix < 0 || ix >= w) continue;
            const v = x.data[base + iy * w + ix];
            // The first real cell starts the max; a NaN wins and stays.
            if (at < 0 || (!Number.isNaN(best) && (v > best || Number.isNaN(v)))) {
              best = v;
              at = base + (columnMajor ? iy + ix * h : iy * w + ix);
            }
          }
        }
        out[o++] = at;
      }
    }
  }
  return { data: out, shape: [...outShape] };
}

export const cpuKernels: Readonly<Record<string, CpuKernel>> = { maxPoolIndices: maxPoolIndicesCpu };
