/** transpose on the wasm backend: a strided copy (wasm/elementwise.ts) over the fewest dims (size-1 axes dropped, runs of axes that stay in order merged). */
import { type TransposeAttrs, resolvePerm } from '../../../ops/transpose.js';
import { sizeOf, stridesOf } from '../../../shape.js';
import type { WasmKernel } from '../kernels.js';
import type { WasmRuntime } from '../runtime.js';
import type { WasmTensor } from '../wasm_tensor.js';
import { threadsFor } from './fused.js';

const MAX_RANK = 8;

function transposeWasm(rt: WasmRuntime, [x]: readonly WasmTensor[], { perm }: TransposeAttrs, out: WasmTensor): boolean {
  const p = resolvePerm(x.shape.length, perm);
  const inStrides = stridesOf(x.shape);
  const dims: number[] = [], strides: number[] = [];
  p.forEach((a) => {
    const d = x.shape[a], s = inStrides[a];
    if (d === 1) return;
    const k = dims.length - 1;
    if (k >= 0 && strides[k] === s * d) {
      dims[k] *= d;
      strides[k] = s;
    } else {
      dims.push(d);
      strides.push(s);
    }
  });
  if (dims.length === 0) {
    dims.push(1);
    strides.push(1);
  }
  if (dims.length > MAX_RANK) return false;
  rt.call('stridedCopy', [x.ptr, out.ptr, dims.length, ...dims, ...strides], threadsFor(4 * sizeOf(x.shape), rt.threads));
  return true;
}

export const wasmKernels: Readonly<Record<string, WasmKernel>> = { transpose: transposeWasm as WasmKernel };
