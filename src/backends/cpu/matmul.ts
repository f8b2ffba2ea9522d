import type { HostTensor } from './cpu_tensor.js';
import type { Activation } from '../../ops/activation.js';

/** `bias` is passed apart from params because params.bias is a backend Tensor. */
export interface MatmulCpuParams {
  transposeA?: boolean;
  transposeB?: boolean;
  activation?: Activation;
  name?: string;
}

export function matmulCpu(_a: HostTensor, _b: HostTensor, _bias: HostTensor | undefined, _params: MatmulCpuParams): HostTensor {
  throw new Error('matmul: not implemented yet');
}
export function denseCpu(_x: HostTensor, _w: HostTensor, _bias: HostTensor | undefined, _act: Activation | undefined): HostTensor {
  throw new Error('dense: not implemented yet');
}
export function rbfCpu(_x: HostTensor, _centers: HostTensor): HostTensor {
  throw new Error('rbf: not implemented yet');
}
export function softmaxCpu(_x: HostTensor, _axis: number): HostTensor {
  throw new Error('softmax: not implemented yet');
}
