// STUB: replaced by the implementation.
import type { HostTensor } from './cpu_tensor.js';
import type { Conv2dParams } from '../../ops/conv2d.js';
import type { GradRequest } from '../training.js';

export function conv2dBackwardCpu(_x: HostTensor, _w: HostTensor, _dy: HostTensor, _params: Conv2dParams, _want: GradRequest): { dx?: HostTensor; dw?: HostTensor; db?: HostTensor } {
  throw new Error('conv2dBackward: not implemented yet');
}
