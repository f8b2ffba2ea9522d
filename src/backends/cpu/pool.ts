import type { HostTensor } from './cpu_tensor.js';
import type { Pool2dParams, SubsampleParams, LrnParams } from '../../ops/pool.js';

export function pool2dCpu(_x: HostTensor, _params: Pool2dParams): HostTensor {
  throw new Error('pool2d: not implemented yet');
}
export function globalPoolCpu(_x: HostTensor, _type: 'max' | 'avg'): HostTensor {
  throw new Error('globalPool: not implemented yet');
}
export function subsampleCpu(_x: HostTensor, _coeff: HostTensor, _bias: HostTensor, _params: SubsampleParams): HostTensor {
  throw new Error('subsample: not implemented yet');
}
export function lrnCpu(_x: HostTensor, _params: LrnParams): HostTensor {
  throw new Error('lrn: not implemented yet');
}
