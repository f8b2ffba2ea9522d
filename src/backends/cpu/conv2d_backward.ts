/**
 * CPU reference: conv2d's backward (dense, grouped, depthwise, connection table) as the
 * forward's own loops run in reverse: every product x·w that made an output value sends dy
 * back to the x and w it came from. Float64 accumulation. `dy` is the gradient at the conv's
 * pre-activation output, so `params.activation` is ignored.
 * Shape checks: src/ops/conv2d_backward.ts, shared with the WebGPU kernels.
 */
import type { HostTensor } from './host_tensor.js';
import type { Conv2dParams, Conv2dConfig } from '../../ops/conv2d.js';
import type { GradRequest } from '../training.js';
import { wantedGrads, inferConv2dBackward } from '../../ops/conv2d_backward.js';

/** For output channel o: the input channels it reads and, for each, where its kernel starts in w (as in conv2dCpu). */
function inputsOf(cfg: Conv2dConfig, o: number): { channel: number; kernel: number }[] {
  const list = [];
  if (cfg.table) {
    const { offsets, indices } = cfg.table;
    for (let j = offsets[o]; j < offsets[o + 1]; j++) list.push({ channel: indices[j], kernel: j });
    return list;
  }
  const g = Math.floor(o / cfg.outPerGroup);
  for (let ci = 0; ci < cfg.inPerGroup; ci++) list.push({ channel: g * cfg.inPerGroup + ci, kernel: o * cfg.inPerGroup + ci });
  return list;
}

export function conv2dBackwardCpu(x: HostTensor, w: HostTensor, dy: HostTensor, params: Conv2dParams, want: GradRequest): { dx?: HostTensor; dw?: HostTensor; db?: HostTensor } {
  const cfg = inferConv2dBackward(x.shape, w.shape, dy.shape, params);
  const wanted = wantedGrads(want);
  const { batch, inChannels: C, inH: H, inW: W, outChannels: Cout, kernelH: kH, kernelW: kW, outH: Ho, outW: Wo } = cfg;
  const [sH, sW] = cfg.stride;
  const [dH, dW] = cfg.dilation;
  const { top, left } = cfg.pads;
  const dx = new Float64Array(wanted.input ? x.data.length : 0); // (N, C, H, W)
  const dw = new Float64Array(wanted.weight ? w.data.length : 0); // w's shape
  const db = new Float64Array(wanted.bias ? Cout : 0); // (Cout)

  for (let o = 0; o < Cout; o++) {
    const inputs = inputsOf(cfg, o);
    for (let n = 0; n < batch; n++) {
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          const g = dy.data[((n * Cout + o) * Ho + oy) * Wo + ox]; // dy (N, Cout, Ho, Wo)
          if (wanted.bias) db[o] += g;
          if (!wanted.input && !wanted.weight) continue;
          for (const { channel, kernel } of inputs) {
            const xBase = (n * C + channel) * H * W;
            const wBase = kernel * kH * kW;
            for (let ky = 0; ky < kH; ky++) {
              const iy = oy * sH - top + ky * dH;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < kW; kx++) {
                const ix = ox * sW - left + kx * dW;
                if (ix < 0 || ix >= W) continue;
                // Forward: out[n, o, oy, ox] += x[xi] · w[wi].
                const xi = xBase + iy * W + ix;
                const wi = wBase + ky * kW + kx;
                if (wanted.input) dx[xi] += g * w.data[wi];
                if (wanted.weight) dw[wi] += g * x.data[xi];
              }
            }
          }
        }
      }
    }
  }
  return {
    ...(wanted.input ? { dx: { data: Float32Array.from(dx), shape: x.shape } } : {}),
    ...(wanted.weight ? { dw: { data: Float32Array.from(dw), shape: w.shape } } : {}),
    ...(wanted.bias ? { db: { data: Float32Array.from(db), shape: [Cout] } } : {}),
  };
}
