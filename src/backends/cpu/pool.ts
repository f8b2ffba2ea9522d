/**
 * CPU reference: max/avg pooling, global pooling, adaptive average pooling and LeNet-5's
 * subsampling. Naive loops, float64 accumulation, float32 storage.
 */
import type { HostTensor } from './host_tensor.js';
import { applyActivation } from '../../ops/activation.js';
import {
  type Pool2dParams,
  type SubsampleParams,
  type AdaptivePoolParams,
  inferPool2d,
  inferGlobalPool,
  inferAdaptiveAvgPool,
  adaptiveBin,
  inferSubsample,
} from '../../ops/pool.js';

export function pool2dCpu(x: HostTensor, params: Pool2dParams): HostTensor {
  const g = inferPool2d(x.shape, params);
  const { h, w, ho, wo, kernel: [kh, kw], stride: [sh, sw], dilation: [dh, dw], pads } = g;
  const out = new Float32Array(g.n * g.c * ho * wo); // (N, C, Ho, Wo)
  let o = 0;
  for (let plane = 0; plane < g.n * g.c; plane++) {
    const base = plane * h * w;
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        // Window in input coordinates; padded cells are skipped (never win a max).
        const hs = oy * sh - pads.top;
        const ws = ox * sw - pads.left;
        let best = -Infinity;
        let sum = 0;
        let real = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = hs + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ws + kx * dw;
            if (ix < 0 || ix >= w) continue;
            const v = x.data[base + iy * w + ix];
            if (v > best || Number.isNaN(v)) best = v;
            sum += v;
            real++;
          }
        }
        if (g.type === 'max') {
          out[o++] = best;
        } else {
          // PyTorch: with countIncludePad the divisor is the window's cells inside the padded
          // input (cells past the bottom/right padding, reachable in ceil mode, do not count).
          let hPadded = 0;
          let wPadded = 0;
          for (let ky = 0; ky < kh; ky++) if (hs + ky * dh < h + pads.bottom) hPadded++;
          for (let kx = 0; kx < kw; kx++) if (ws + kx * dw < w + pads.right) wPadded++;
          out[o++] = sum / (g.countIncludePad ? hPadded * wPadded : real);
        }
      }
    }
  }
  return { data: out, shape: g.outShape };
}

export function globalPoolCpu(x: HostTensor, type: 'max' | 'avg'): HostTensor {
  const g = inferGlobalPool(x.shape, type);
  const out = new Float32Array(g.n * g.c); // (N, C, 1, 1)
  for (let p = 0; p < out.length; p++) {
    let best = -Infinity;
    let sum = 0;
    for (let i = p * g.plane; i < (p + 1) * g.plane; i++) {
      const v = x.data[i];
      if (v > best || Number.isNaN(v)) best = v;
      sum += v;
    }
    out[p] = type === 'max' ? best : sum / g.plane;
  }
  return { data: out, shape: g.outShape };
}

export function adaptiveAvgPoolCpu(x: HostTensor, params: AdaptivePoolParams): HostTensor {
  const g = inferAdaptiveAvgPool(x.shape, params);
  const { h, w, ho, wo } = g;
  const out = new Float32Array(g.n * g.c * ho * wo); // (N, C, Ho, Wo)
  let o = 0;
  for (let plane = 0; plane < g.n * g.c; plane++) {
    const base = plane * h * w;
    for (let oy = 0; oy < ho; oy++) {
      const [h0, h1] = adaptiveBin(oy, h, ho);
      for (let ox = 0; ox < wo; ox++) {
        const [w0, w1] = adaptiveBin(ox, w, wo);
        let sum = 0;
        for (let iy = h0; iy < h1; iy++) {
          for (let ix = w0; ix < w1; ix++) sum += x.data[base + iy * w + ix];
        }
        out[o++] = sum / ((h1 - h0) * (w1 - w0));
      }
    }
  }
  return { data: out, shape: g.outShape };
}

export function subsampleCpu(x: HostTensor, coeff: HostTensor, bias: HostTensor, params: SubsampleParams): HostTensor {
  const g = inferSubsample(x.shape, coeff.shape, bias.shape, params);
  const { h, w, ho, wo, kernel: [kh, kw], stride: [sh, sw] } = g;
  const out = new Float32Array(g.n * g.c * ho * wo); // (N, C, Ho, Wo)
  let o = 0;
  for (let plane = 0; plane < g.n * g.c; plane++) {
    const c = plane % g.c;
    const base = plane * h * w;
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        let sum = 0;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) sum += x.data[base + (oy * sh + ky) * w + ox * sw + kx];
        }
        out[o++] = applyActivation(coeff.data[c] * sum + bias.data[c], g.activation);
      }
    }
  }
  return { data: out, shape: g.outShape };
}
