/** CPU reference: broadcasting binary ops (the BINARY_OPS table) and where. Float64 arithmetic, float32 storage. */
import type { HostTensor } from './host_tensor.js';
import type { CpuKernel } from './kernels.js';
import { broadcastStrides, inferBinary } from '../../ops/elementwise.js';
import { type BinaryAttrs, binaryOpDef } from '../../ops/binary.js';
import { type Shape, sizeOf, stridesOf } from '../../shape.js';
import { type Activation, applyActivation, normalizeActivation } from '../../ops/activation.js';

/** For each output element of `outShape`, its index in each input (by their broadcast strides). */
function forEachBroadcast(outShape: Shape, inStrides: readonly (readonly number[])[], fn: (i: number, idx: readonly number[]) => void): void {
  const outStrides = stridesOf(outShape);
  const idx = new Array<number>(inStrides.length).fill(0);
  const n = sizeOf(outShape);
  for (let i = 0; i < n; i++) {
    idx.fill(0);
    let rem = i;
    for (let d = 0; d < outShape.length; d++) {
      const c = Math.floor(rem / outStrides[d]);
      rem -= c * outStrides[d];
      for (let k = 0; k < idx.length; k++) idx[k] += c * inStrides[k][d];
    }
    fn(i, idx);
  }
}

export function binaryCpu(op: string, a: HostTensor, b: HostTensor, act?: Activation): HostTensor {
  const f = binaryOpDef(op).cpu;
  const cfg = normalizeActivation(op, act);
  const { outShape, aStrides, bStrides } = inferBinary(op, a.shape, b.shape);
  const out = new Float32Array(sizeOf(outShape));
  // The activation reads the float32 result, as the GPU's does.
  forEachBroadcast(outShape, [aStrides, bStrides], (i, [ia, ib]) => (out[i] = applyActivation(Math.fround(f(a.data[ia], b.data[ib])), cfg)));
  return { data: out, shape: outShape };
}

function whereCpu([c, a, b]: readonly HostTensor[], _attrs: Record<string, never>, outShape: Shape): HostTensor {
  const out = new Float32Array(sizeOf(outShape));
  const strides = [c, a, b].map((t) => broadcastStrides(t.shape, outShape.length));
  forEachBroadcast(outShape, strides, (i, [ic, ia, ib]) => (out[i] = c.data[ic] !== 0 ? a.data[ia] : b.data[ib]));
  return { data: out, shape: [...outShape] };
}

export const cpuKernels: Readonly<Record<string, CpuKernel>> = {
  binary: ([a, b]: readonly HostTensor[], { op, activation }: BinaryAttrs) => binaryCpu(op, a, b, activation),
  where: whereCpu,
};
