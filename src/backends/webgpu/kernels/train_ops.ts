// STUB: replaced by the implementation.
import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { Shape } from '../../../shape.js';
import type { BatchNormTrainParams, SgdParams, AdamParams } from '../../training.js';

export function batchNormTrainGpu(_be: WebGpuBackend, _x: GpuTensor, _gamma: GpuTensor, _beta: GpuTensor, _runningMean: GpuTensor, _runningVar: GpuTensor, _params: BatchNormTrainParams): { y: GpuTensor; mean: GpuTensor; invStd: GpuTensor } {
  throw new Error('batchNormTrain: not implemented yet');
}
export function batchNormBackwardGpu(_be: WebGpuBackend, _x: GpuTensor, _dy: GpuTensor, _gamma: GpuTensor, _mean: GpuTensor, _invStd: GpuTensor): { dx: GpuTensor; dgamma: GpuTensor; dbeta: GpuTensor } {
  throw new Error('batchNormBackward: not implemented yet');
}
export function dropoutTrainGpu(_be: WebGpuBackend, _x: GpuTensor, _rate: number, _seed: GpuTensor): { y: GpuTensor; mask: GpuTensor } {
  throw new Error('dropoutTrain: not implemented yet');
}
export function sumToGpu(_be: WebGpuBackend, _x: GpuTensor, _shape: Shape): GpuTensor {
  throw new Error('sumTo: not implemented yet');
}
export function sliceGpu(_be: WebGpuBackend, _x: GpuTensor, _axis: number, _start: number, _size: number): GpuTensor {
  throw new Error('slice: not implemented yet');
}
export function accumulateGpu(_be: WebGpuBackend, _acc: GpuTensor, _x: GpuTensor): void {
  throw new Error('accumulate: not implemented yet');
}
export function sgdStepGpu(_be: WebGpuBackend, _param: GpuTensor, _grad: GpuTensor, _velocity: GpuTensor | undefined, _hyper: GpuTensor, _params: SgdParams): void {
  throw new Error('sgdStep: not implemented yet');
}
export function adamStepGpu(_be: WebGpuBackend, _param: GpuTensor, _grad: GpuTensor, _m: GpuTensor, _v: GpuTensor, _hyper: GpuTensor, _params: AdamParams): void {
  throw new Error('adamStep: not implemented yet');
}
