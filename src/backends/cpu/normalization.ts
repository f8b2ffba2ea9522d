import type { HostTensor } from './cpu_tensor.js';
import type { Activation } from '../../ops/activation.js';

export interface BatchNormCpuParams {
  gamma: HostTensor;
  beta: HostTensor;
  mean: HostTensor;
  variance: HostTensor;
  epsilon?: number;
  activation?: Activation;
  name?: string;
}

export function batchNormCpu(_x: HostTensor, _params: BatchNormCpuParams): HostTensor {
  throw new Error('batchNorm: not implemented yet');
}
export function concatCpu(_xs: readonly HostTensor[], _axis: number): HostTensor {
  throw new Error('concat: not implemented yet');
}
