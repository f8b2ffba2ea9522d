/**
 * batchNorm (inference, with its fused activation), softmax and log-softmax along any axis
 * (wasm/norm.ts), and concat (one copy per slab) on the wasm backend.
 */
import { type BatchNormGeometry, inferConcat } from '../../../ops/normalization.js';
import { type SoftmaxAttrs, inferSoftmax } from '../../../ops/matmul.js';
import type { WasmKernel } from '../kernels.js';
import type { WasmRuntime } from '../runtime.js';
import type { WasmTensor } from '../wasm_tensor.js';
import { fusesActivation, threadsFor } from './fused.js';

/** y = act(batchNorm(x)); false when the kernel cannot apply the activation (the reference then runs). */
export function batchNormWasm(rt: WasmRuntime, x: WasmTensor, p: { gamma: WasmTensor; beta: WasmTensor; mean: WasmTensor; variance: WasmTensor }, g: BatchNormGeometry, y: WasmTensor): boolean {
  if (!fusesActivation(g.act)) return false;
  const n = g.batch * g.channels * g.spatial;
  rt.call(
    'batchNorm',
    [x.ptr, y.ptr, p.gamma.ptr, p.beta.ptr, p.mean.ptr, p.variance.ptr, g.batch, g.channels, g.spatial, { f32: g.epsilon }, g.act.code, { f32: g.act.a }, { f32: g.act.b }],
    threadsFor(4 * n, rt.threads),
  );
  return true;
}

export function softmaxWasm(rt: WasmRuntime, x: WasmTensor, axis: number, log: boolean, y: WasmTensor): void {
  const g = inferSoftmax(x.shape, axis);
  rt.call('softmax', [x.ptr, y.ptr, g.outer, g.axisLen, g.inner, log ? 1 : 0], threadsFor(20 * g.outer * g.axisLen * g.inner, rt.threads));
}

/** The inputs copied slab by slab into y (a copy of contiguous memory: no kernel needed). */
export function concatWasm(xs: readonly WasmTensor[], axis: number, y: WasmTensor): void {
  const g = inferConcat(xs.map((x) => x.shape), axis);
  const outAxis = g.sizes.reduce((a, b) => a + b, 0);
  const out = y.data;
  xs.forEach((x, i) => {
    const slab = g.sizes[i] * g.inner;
    if (slab === 0) return;
    const src = x.data;
    for (let o = 0; o < g.outer; o++) out.set(src.subarray(o * slab, (o + 1) * slab), (o * outAxis + g.offsets[i]) * g.inner);
  });
}

export const wasmKernels: Readonly<Record<string, WasmKernel>> = {
  logSoftmax: ((rt: WasmRuntime, [x]: readonly WasmTensor[], { axis }: SoftmaxAttrs, out: WasmTensor) => {
    softmaxWasm(rt, x, axis, true, out);
    return true;
  }) as WasmKernel,
};
