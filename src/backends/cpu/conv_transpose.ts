/**
 * CPU reference of conv2dTranspose as a gather: each output value sums, over its group's input
 * channels and the kernel taps, the input values whose scattered window lands on it
 * (iy·sH − padTop + ky·dH = oy), then adds the bias and applies the fused activation. Float64
 * accumulation. Shape checks: src/ops/conv_transpose.ts, shared with the WebGPU kernel.
 */
import type { Shape } from '../../shape.js';
import { type Conv2dTransposeAttrs, inferConv2dTranspose } from '../../ops/conv_transpose.js';
import { applyActivation } from '../../ops/activation.js';
import type { HostTensor } from './host_tensor.js';
import type { CpuKernel } from './kernels.js';

export function conv2dTransposeCpu([x, w, bias]: readonly HostTensor[], attrs: Conv2dTransposeAttrs, _outShape: Shape): HostTensor {
  const cfg = inferConv2dTranspose(x.shape, w.shape, bias?.shape, attrs);
  const { batch, inChannels: C, inH: H, inW: W, outChannels: Cout, kernelH: kH, kernelW: kW, outH: Ho, outW: Wo } = cfg;
  const [sH, sW] = cfg.stride;
  const [dH, dW] = cfg.dilation;
  const { top, left } = cfg.pads;
  const cg = C / cfg.groups; // input channels per group
  const mg = Cout / cfg.groups; // output channels per group
  const out = new Float32Array(batch * Cout * Ho * Wo); // (N, Cout, Ho, Wo)
  for (let n = 0; n < batch; n++) {
    for (let o = 0; o < Cout; o++) {
      const g = Math.floor(o / mg);
      const j = o % mg;
      const b0 = bias ? bias.data[o] : 0;
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          let acc = b0;
          for (let ci = 0; ci < cg; ci++) {
            const c = g * cg + ci;
            const xBase = (n * C + c) * H * W; // x (N, C, H, W)
            const wBase = (c * mg + j) * kH * kW; // w (C, Cout/groups, kH, kW)
            for (let ky = 0; ky < kH; ky++) {
              const ty = oy + top - ky * dH;
              if (ty < 0 || ty % sH !== 0 || ty / sH >= H) continue;
              for (let kx = 0; kx < kW; kx++) {
                const tx = ox + left - kx * dW;
                if (tx < 0 || tx % sW !== 0 || tx / sW >= W) continue;
                acc += x.data[xBase + (ty / sH) * W + tx / sW] * w.data[wBase + ky * kW + kx];
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

export const cpuKernels: Readonly<Record<string, CpuKernel>> = { conv2dTranspose: conv2dTransposeCpu };
