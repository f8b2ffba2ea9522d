// STUB: replaced by the implementation.
import type { HostTensor } from './cpu_tensor.js';
import type { Pool2dParams, SubsampleParams, LrnParams, AdaptivePoolParams } from '../../ops/pool.js';

export function pool2dBackwardCpu(_x: HostTensor, _dy: HostTensor, _params: Pool2dParams): HostTensor {
  throw new Error('pool2dBackward: not implemented yet');
}
export function globalPoolBackwardCpu(_x: HostTensor, _dy: HostTensor, _type: 'max' | 'avg'): HostTensor {
  throw new Error('globalPoolBackward: not implemented yet');
}
export function adaptiveAvgPoolBackwardCpu(_x: HostTensor, _dy: HostTensor, _params: AdaptivePoolParams): HostTensor {
  throw new Error('adaptiveAvgPoolBackward: not implemented yet');
}
export function subsampleBackwardCpu(_x: HostTensor, _coeff: HostTensor, _dy: HostTensor, _params: SubsampleParams): { dx: HostTensor; dcoeff: HostTensor; dbias: HostTensor } {
  throw new Error('subsampleBackward: not implemented yet');
}
export function lrnBackwardCpu(_x: HostTensor, _dy: HostTensor, _params: LrnParams): HostTensor {
  throw new Error('lrnBackward: not implemented yet');
}
