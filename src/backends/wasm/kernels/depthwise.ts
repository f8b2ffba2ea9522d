/**
 * Depthwise conv2d on the wasm backend (wasm/depthwise.ts): groups == C, one input channel per
 * group (MobileNet, EfficientNet), any channel multiplier, kernel size, stride, dilation and
 * padding; bias and activation in the epilogue. conv2dWasm routes these here.
 */
import type { Conv2dConfig } from '../../../ops/conv2d.js';
import type { WasmRuntime } from '../runtime.js';
import type { WasmTensor } from '../wasm_tensor.js';
import { activationArgs, threadsFor } from './fused.js';

/** Whether `cfg` is a conv the depthwise kernel computes: one input channel per group. */
export function isDepthwise(cfg: Conv2dConfig): boolean {
  return cfg.table === undefined && cfg.inPerGroup === 1 && cfg.groups === cfg.inChannels;
}

export function depthwiseConv2dWasm(rt: WasmRuntime, x: WasmTensor, w: WasmTensor, bias: WasmTensor | undefined, cfg: Conv2dConfig, y: WasmTensor): void {
  const { batch: N, inChannels: C, inH: H, inW: W, outChannels: Cout, kernelH: kh, kernelW: kw, outH: Ho, outW: Wo } = cfg;
  const nt = threadsFor(2 * N * Cout * Ho * Wo * kh * kw, rt.threads);
  rt.call(
    'depthwiseConv2d',
    [
      x.ptr, w.ptr, bias?.ptr ?? 0, y.ptr, N, C, H, W, Cout, Ho, Wo, kh, kw,
      cfg.stride[0], cfg.stride[1], cfg.pads.top, cfg.pads.left, cfg.dilation[0], cfg.dilation[1],
      ...activationArgs(cfg.activation),
    ],
    nt,
  );
}
