import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { BatchNormParams } from '../../../ops/normalization.js';

/** `params` tensors are already checked to be this backend's GpuTensors. */
export function batchNormGpu(_be: WebGpuBackend, _x: GpuTensor, _params: BatchNormParams): GpuTensor {
  throw new Error('batchNorm: not implemented yet');
}
export function concatGpu(_be: WebGpuBackend, _xs: readonly GpuTensor[], _axis: number): GpuTensor {
  throw new Error('concat: not implemented yet');
}
