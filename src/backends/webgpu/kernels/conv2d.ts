import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { Conv2dParams } from '../../../ops/conv2d.js';

export function conv2dGpu(_be: WebGpuBackend, _x: GpuTensor, _w: GpuTensor, _bias: GpuTensor | undefined, _params: Conv2dParams): GpuTensor {
  throw new Error('conv2d: not implemented yet');
}
