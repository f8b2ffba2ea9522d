// STUB: replaced by the implementation.
import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { Pool2dParams, SubsampleParams, LrnParams, AdaptivePoolParams } from '../../../ops/pool.js';

export function pool2dBackwardGpu(_be: WebGpuBackend, _x: GpuTensor, _dy: GpuTensor, _params: Pool2dParams): GpuTensor {
  throw new Error('pool2dBackward: not implemented yet');
}
export function globalPoolBackwardGpu(_be: WebGpuBackend, _x: GpuTensor, _dy: GpuTensor, _type: 'max' | 'avg'): GpuTensor {
  throw new Error('globalPoolBackward: not implemented yet');
}
export function adaptiveAvgPoolBackwardGpu(_be: WebGpuBackend, _x: GpuTensor, _dy: GpuTensor, _params: AdaptivePoolParams): GpuTensor {
  throw new Error('adaptiveAvgPoolBackward: not implemented yet');
}
export function subsampleBackwardGpu(_be: WebGpuBackend, _x: GpuTensor, _coeff: GpuTensor, _dy: GpuTensor, _params: SubsampleParams): { dx: GpuTensor; dcoeff: GpuTensor; dbias: GpuTensor } {
  throw new Error('subsampleBackward: not implemented yet');
}
export function lrnBackwardGpu(_be: WebGpuBackend, _x: GpuTensor, _dy: GpuTensor, _params: LrnParams): GpuTensor {
  throw new Error('lrnBackward: not implemented yet');
}
