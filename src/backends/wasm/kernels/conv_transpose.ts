/**
 * conv2dTranspose on the wasm backend: the input gradient of the convolution it is the transpose
 * of (`asConv`, src/ops/conv_transpose.ts), computed by conv2d backward's dx kernel
 * (wasm/conv2d_backward.ts: wᵀ·dy per plane, then col2im), then the bias and the activation.
 * As on WebGPU, one definition of the arithmetic serves both ops.
 */
import { type Conv2dTransposeAttrs, inferConv2dTranspose } from '../../../ops/conv_transpose.js';
import { normalizeActivation } from '../../../ops/activation.js';
import type { WasmKernel } from '../kernels.js';
import type { WasmRuntime } from '../runtime.js';
import type { WasmTensor } from '../wasm_tensor.js';
import { conv2dBackwardWasm } from './conv2d_backward.js';
import { activationWasm } from './elementwise.js';
import { fusesActivation } from './fused.js';

function conv2dTransposeWasm(rt: WasmRuntime, [x, w, bias]: readonly WasmTensor[], attrs: Conv2dTransposeAttrs, y: WasmTensor): boolean {
  const cfg = inferConv2dTranspose(x.shape, w.shape, bias?.shape, attrs);
  const act = normalizeActivation('conv2dTranspose', attrs.activation);
  if (!fusesActivation(act)) return false;
  // The convolution's input is not read for its input gradient.
  conv2dBackwardWasm(rt, 0, w.ptr, x.ptr, cfg.asConv, { dx: y.ptr, dw: 0, db: 0 });
  if (bias) {
    const [n, c, h, wd] = y.shape;
    const plane = h * wd;
    const out = y.data;
    const b = bias.data;
    for (let i = 0; i < n; i++) for (let o = 0; o < c; o++) {
      const v = b[o];
      const base = (i * c + o) * plane;
      for (let p = 0; p < plane; p++) out[base + p] += v;
    }
  }
  if (act.code !== 0) activationWasm(rt, y, act, y);
  return true;
}

export const wasmKernels: Readonly<Record<string, WasmKernel>> = { conv2dTranspose: conv2dTransposeWasm as WasmKernel };
