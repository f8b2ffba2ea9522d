import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { MatmulParams } from '../../../ops/matmul.js';
import type { Activation } from '../../../ops/activation.js';

export function matmulGpu(_be: WebGpuBackend, _a: GpuTensor, _b: GpuTensor, _bias: GpuTensor | undefined, _params: MatmulParams): GpuTensor {
  throw new Error('matmul: not implemented yet');
}
export function denseGpu(_be: WebGpuBackend, _x: GpuTensor, _w: GpuTensor, _bias: GpuTensor | undefined, _act: Activation | undefined): GpuTensor {
  throw new Error('dense: not implemented yet');
}
export function rbfGpu(_be: WebGpuBackend, _x: GpuTensor, _centers: GpuTensor): GpuTensor {
  throw new Error('rbf: not implemented yet');
}
export function softmaxGpu(_be: WebGpuBackend, _x: GpuTensor, _axis: number): GpuTensor {
  throw new Error('softmax: not implemented yet');
}
