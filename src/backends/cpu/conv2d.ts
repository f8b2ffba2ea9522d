import type { HostTensor } from './cpu_tensor.js';
import type { Conv2dParams } from '../../ops/conv2d.js';

export function conv2dCpu(_x: HostTensor, _w: HostTensor, _bias: HostTensor | undefined, _params: Conv2dParams): HostTensor {
  throw new Error('conv2d: not implemented yet');
}
