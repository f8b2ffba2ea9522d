/**
 * CPU reference: 2-D convolution (dense, grouped, depthwise, connection table) as direct
 * loops, float64 accumulation, then bias and the fused activation.
 */
import type { HostTensor } from './host_tensor.js';
import { type Conv2dParams, inferConv2d } from '../../ops/conv2d.js';
import { applyActivation } from '../../ops/activation.js';

export function conv2dCpu(x: HostTensor, w: HostTensor, bias: HostTensor | undefined, params: Conv2dParams): HostTensor {
  const cfg = inferConv2d(x.shape, w.shape, bias?.shape, params);
  const { batch, inChannels: C, inH: H, inW: W, outChannels: Cout, kernelH: kH, kernelW: kW, outH: Ho, outW: Wo } = cfg;
  const [sH, sW] = cfg.stride;
  const [dH, dW] = cfg.dilation;
  const { top, left } = cfg.pads;
  const out = new Float32Array(batch * Cout * Ho * Wo); // (N, Cout, Ho, Wo)

  // For output channel o: the input channels it reads and, for each, where its kernel starts in w.
  const inputsOf = (o: number): { channel: number; kernel: number }[] => {
    if (cfg.table) {
      const { offsets, indices } = cfg.table;
      const list = [];
      for (let j = offsets[o]; j < offsets[o + 1]; j++) list.push({ channel: indices[j], kernel: j });
      return list;
    }
    const g = Math.floor(o / cfg.outPerGroup);
    const list = [];
    for (let ci = 0; ci < cfg.inPerGroup; ci++) list.push({ channel: g * cfg.inPerGroup + ci, kernel: o * cfg.inPerGroup + ci });
    return list;
  };

  for (let o = 0; o < Cout; o++) {
    const inputs = inputsOf(o);
    const b0 = bias ? bias.data[o] : 0;
    for (let n = 0; n < batch; n++) {
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          let acc = b0;
          for (const { channel, kernel } of inputs) {
            const xBase = (n * C + channel) * H * W; // x (N, C, H, W)
            const wBase = kernel * kH * kW; // w (Cout, C/groups, kH, kW) or (Σ|table[o]|, kH, kW)
            for (let ky = 0; ky < kH; ky++) {
              const iy = oy * sH - top + ky * dH;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < kW; kx++) {
                const ix = ox * sW - left + kx * dW;
                if (ix < 0 || ix >= W) continue;
                acc += x.data[xBase + iy * W + ix] * w.data[wBase + ky * kW + kx];
              }
            }
          }
          out[((n * Cout + o) * Ho + oy) * Wo + ox] = applyActivation(acc, cfg.activation);
        }
      }
    }
  }
  return { data: out, shape: cfg.outShape };
}
