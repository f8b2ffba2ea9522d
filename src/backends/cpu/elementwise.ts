/** CPU reference: broadcasting binary ops. Float64 arithmetic, float32 storage. */
import type { HostTensor } from './host_tensor.js';
import { type BinaryOp, inferBinary } from '../../ops/elementwise.js';
import { stridesOf } from '../../shape.js';

export function binaryCpu(op: BinaryOp, a: HostTensor, b: HostTensor): HostTensor {
  const { outShape, aStrides, bStrides } = inferBinary(op, a.shape, b.shape);
  const outStrides = stridesOf(outShape);
  const n = outShape.reduce((p, d) => p * d, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let ia = 0;
    let ib = 0;
    let rem = i;
    for (let d = 0; d < outShape.length; d++) {
      const c = Math.floor(rem / outStrides[d]);
      rem -= c * outStrides[d];
      ia += c * aStrides[d];
      ib += c * bStrides[d];
    }
    const va = a.data[ia];
    const vb = b.data[ib];
    out[i] = op === 'add' ? va + vb : va * vb;
  }
  return { data: out, shape: outShape };
}
