// STUB: replaced by the implementation.
import type { HostTensor } from './cpu_tensor.js';
import type { Activation } from '../../ops/activation.js';
import type { GradRequest } from '../training.js';

export function activationBackwardCpu(_y: HostTensor, _dy: HostTensor, _act: Activation): HostTensor {
  throw new Error('activationBackward: not implemented yet');
}
export function denseBackwardCpu(_x: HostTensor, _w: HostTensor, _dy: HostTensor, _want: GradRequest): { dx?: HostTensor; dw?: HostTensor; db?: HostTensor } {
  throw new Error('denseBackward: not implemented yet');
}
export function rbfBackwardCpu(_x: HostTensor, _centers: HostTensor, _dy: HostTensor): { dx: HostTensor; dcenters: HostTensor } {
  throw new Error('rbfBackward: not implemented yet');
}
export function softmaxCrossEntropyCpu(_logits: HostTensor, _labels: HostTensor): { loss: HostTensor; grad: HostTensor } {
  throw new Error('softmaxCrossEntropy: not implemented yet');
}
export function mseLossCpu(_pred: HostTensor, _target: HostTensor): { loss: HostTensor; grad: HostTensor } {
  throw new Error('mseLoss: not implemented yet');
}
export function rbfLossCpu(_distances: HostTensor, _labels: HostTensor): { loss: HostTensor; grad: HostTensor } {
  throw new Error('rbfLoss: not implemented yet');
}
