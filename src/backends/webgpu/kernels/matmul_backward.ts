// STUB: replaced by the implementation.
import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { Activation } from '../../../ops/activation.js';
import type { GradRequest } from '../../training.js';

export function activationBackwardGpu(_be: WebGpuBackend, _y: GpuTensor, _dy: GpuTensor, _act: Activation): GpuTensor {
  throw new Error('activationBackward: not implemented yet');
}
export function denseBackwardGpu(_be: WebGpuBackend, _x: GpuTensor, _w: GpuTensor, _dy: GpuTensor, _want: GradRequest): { dx?: GpuTensor; dw?: GpuTensor; db?: GpuTensor } {
  throw new Error('denseBackward: not implemented yet');
}
export function rbfBackwardGpu(_be: WebGpuBackend, _x: GpuTensor, _centers: GpuTensor, _dy: GpuTensor): { dx: GpuTensor; dcenters: GpuTensor } {
  throw new Error('rbfBackward: not implemented yet');
}
export function softmaxCrossEntropyGpu(_be: WebGpuBackend, _logits: GpuTensor, _labels: GpuTensor): { loss: GpuTensor; grad: GpuTensor } {
  throw new Error('softmaxCrossEntropy: not implemented yet');
}
export function mseLossGpu(_be: WebGpuBackend, _pred: GpuTensor, _target: GpuTensor): { loss: GpuTensor; grad: GpuTensor } {
  throw new Error('mseLoss: not implemented yet');
}
export function rbfLossGpu(_be: WebGpuBackend, _distances: GpuTensor, _labels: GpuTensor): { loss: GpuTensor; grad: GpuTensor } {
  throw new Error('rbfLoss: not implemented yet');
}
