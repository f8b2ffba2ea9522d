import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { Pool2dParams, SubsampleParams, LrnParams } from '../../../ops/pool.js';

export function pool2dGpu(_be: WebGpuBackend, _x: GpuTensor, _params: Pool2dParams): GpuTensor {
  throw new Error('pool2d: not implemented yet');
}
export function globalPoolGpu(_be: WebGpuBackend, _x: GpuTensor, _type: 'max' | 'avg'): GpuTensor {
  throw new Error('globalPool: not implemented yet');
}
export function subsampleGpu(_be: WebGpuBackend, _x: GpuTensor, _coeff: GpuTensor, _bias: GpuTensor, _params: SubsampleParams): GpuTensor {
  throw new Error('subsample: not implemented yet');
}
export function lrnGpu(_be: WebGpuBackend, _x: GpuTensor, _params: LrnParams): GpuTensor {
  throw new Error('lrn: not implemented yet');
}
