/**
 * CPU reference for the backward of the pooling family: max/avg pooling, global pooling,
 * adaptive average pooling and LeNet-5's subsampling. Naive
 * scatter loops over the forward's windows (the GPU kernels gather instead), float64
 * accumulation, float32 storage.
 * Shape checks: src/ops/pool_backward.ts, shared with the WebGPU kernels.
 */
import type { HostTensor } from './host_tensor.js';
import { type Pool2dParams, type SubsampleParams, type AdaptivePoolParams, adaptiveBin } from '../../ops/pool.js';
import { inferPool2dBackward, inferGlobalPoolBackward, inferAdaptiveAvgPoolBackward, inferSubsampleBackward } from '../../ops/pool_backward.js';

/**
 * Max: each dy goes to the first maximum of its window in scan order (row by row), among the
 * real cells (padding never wins). Avg: dy / divisor to every real cell of the window, with
 * the forward's divisor. Overlapping windows accumulate.
 */
export function pool2dBackwardCpu(x: HostTensor, dy: HostTensor, params: Pool2dParams): HostTensor {
  const g = inferPool2dBackward(x.shape, dy.shape, params);
  const { h, w, ho, wo, kernel: [kh, kw], stride: [sh, sw], pads } = g;
  const acc = new Float64Array(x.data.length); // (N, C, H, W)
  let o = 0;
  for (let plane = 0; plane < g.n * g.c; plane++) {
    const base = plane * h * w;
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        const d = dy.data[o++];
        const hs = oy * sh - pads.top;
        const ws = ox * sw - pads.left;
        // The window clipped to the real input (never empty, see inferPool2d).
        const h0 = Math.max(hs, 0);
        const w0 = Math.max(ws, 0);
        const h1 = Math.min(hs + kh, h);
        const w1 = Math.min(ws + kw, w);
        if (g.type === 'max') {
          let arg = base + h0 * w + w0;
          for (let iy = h0; iy < h1; iy++) {
            for (let ix = w0; ix < w1; ix++) {
              const i = base + iy * w + ix;
              if (x.data[i] > x.data[arg]) arg = i;
            }
          }
          acc[arg] += d;
        } else {
          const divisor = g.countIncludePad
            ? (Math.min(hs + kh, h + pads.bottom) - hs) * (Math.min(ws + kw, w + pads.right) - ws)
            : (h1 - h0) * (w1 - w0);
          for (let iy = h0; iy < h1; iy++) {
            for (let ix = w0; ix < w1; ix++) acc[base + iy * w + ix] += d / divisor;
          }
        }
      }
    }
  }
  return { data: Float32Array.from(acc), shape: x.shape };
}

/** Max: dy to the plane's first maximum; avg: dy / (H·W) everywhere. */
export function globalPoolBackwardCpu(x: HostTensor, dy: HostTensor, type: 'max' | 'avg'): HostTensor {
  const g = inferGlobalPoolBackward(x.shape, dy.shape, type);
  const dx = new Float32Array(x.data.length); // (N, C, H, W)
  for (let p = 0; p < g.n * g.c; p++) {
    const base = p * g.plane;
    if (type === 'max') {
      let arg = base;
      for (let i = base; i < base + g.plane; i++) if (x.data[i] > x.data[arg]) arg = i;
      dx[arg] = dy.data[p];
    } else {
      dx.fill(dy.data[p] / g.plane, base, base + g.plane);
    }
  }
  return { data: dx, shape: x.shape };
}

/** dy / (bin size) to every cell of its bin; overlapping bins accumulate. */
export function adaptiveAvgPoolBackwardCpu(x: HostTensor, dy: HostTensor, params: AdaptivePoolParams): HostTensor {
  const g = inferAdaptiveAvgPoolBackward(x.shape, dy.shape, params);
  const { h, w, ho, wo } = g;
  const acc = new Float64Array(x.data.length); // (N, C, H, W)
  let o = 0;
  for (let plane = 0; plane < g.n * g.c; plane++) {
    const base = plane * h * w;
    for (let oy = 0; oy < ho; oy++) {
      const [h0, h1] = adaptiveBin(oy, h, ho);
      for (let ox = 0; ox < wo; ox++) {
        const [w0, w1] = adaptiveBin(ox, w, wo);
        const d = dy.data[o++] / ((h1 - h0) * (w1 - w0));
        for (let iy = h0; iy < h1; iy++) {
          for (let ix = w0; ix < w1; ix++) acc[base + iy * w + ix] += d;
        }
      }
    }
  }
  return { data: Float32Array.from(acc), shape: x.shape };
}

/**
 * y_pre = coeff[c]·Σ window + bias[c], so dx = coeff[c]·Σ_{windows ∋ cell} dy,
 * dcoeff[c] = Σ_{n,oy,ox} dy·Σ window, dbias[c] = Σ_{n,oy,ox} dy. `dy` is at the
 * pre-activation; params.activation is ignored.
 */
export function subsampleBackwardCpu(x: HostTensor, coeff: HostTensor, dy: HostTensor, params: SubsampleParams): { dx: HostTensor; dcoeff: HostTensor; dbias: HostTensor } {
  const g = inferSubsampleBackward(x.shape, coeff.shape, dy.shape, params);
  const { h, w, ho, wo, kernel: [kh, kw], stride: [sh, sw] } = g;
  const dx = new Float64Array(x.data.length); // (N, C, H, W)
  const dcoeff = new Float64Array(g.c); // (C)
  const dbias = new Float64Array(g.c); // (C)
  let o = 0;
  for (let plane = 0; plane < g.n * g.c; plane++) {
    const c = plane % g.c;
    const base = plane * h * w;
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        const d = dy.data[o++];
        let sum = 0;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            const i = base + (oy * sh + ky) * w + ox * sw + kx;
            sum += x.data[i];
            dx[i] += coeff.data[c] * d;
          }
        }
        dcoeff[c] += d * sum;
        dbias[c] += d;
      }
    }
  }
  return {
    dx: { data: Float32Array.from(dx), shape: x.shape },
    dcoeff: { data: Float32Array.from(dcoeff), shape: [g.c] },
    dbias: { data: Float32Array.from(dbias), shape: [g.c] },
  };
}
