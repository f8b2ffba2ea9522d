// STUB: replaced by the implementation.
import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { Conv2dParams } from '../../../ops/conv2d.js';
import type { GradRequest } from '../../training.js';

export function conv2dBackwardGpu(_be: WebGpuBackend, _x: GpuTensor, _w: GpuTensor, _dy: GpuTensor, _params: Conv2dParams, _want: GradRequest): { dx?: GpuTensor; dw?: GpuTensor; db?: GpuTensor } {
  throw new Error('conv2dBackward: not implemented yet');
}
