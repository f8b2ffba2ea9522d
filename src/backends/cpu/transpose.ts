/** CPU reference of transpose: each output element read from its permuted input position. */
import type { Shape } from '../../shape.js';
import { sizeOf, stridesOf } from '../../shape.js';
import type { TransposeAttrs } from '../../ops/transpose.js';
import type { HostTensor } from './host_tensor.js';
import type { CpuKernel } from './kernels.js';

export function transposeCpu([x]: readonly HostTensor[], { perm }: TransposeAttrs, outShape: Shape): HostTensor {
  const inStrides = stridesOf(x.shape);
  const from = perm.map((a) => inStrides[a]); // input stride of each output axis
  const out = new Float32Array(sizeOf(outShape));
  const coord = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let d = 0; d < coord.length; d++) src += coord[d] * from[d];
    out[i] = x.data[src];
    for (let d = coord.length - 1; d >= 0; d--) {
      if (++coord[d] < outShape[d]) break;
      coord[d] = 0;
    }
  }
  return { data: out, shape: [...outShape] };
}

export const cpuKernels: Readonly<Record<string, CpuKernel>> = { transpose: transposeCpu };
