// STUB: replaced by the implementation.
import type { HostTensor } from './cpu_tensor.js';
import type { Shape } from '../../shape.js';
import type { BatchNormTrainParams, SgdParams, AdamParams } from '../training.js';

export function batchNormTrainCpu(_x: HostTensor, _gamma: HostTensor, _beta: HostTensor, _runningMean: HostTensor, _runningVar: HostTensor, _params: BatchNormTrainParams): { y: HostTensor; mean: HostTensor; invStd: HostTensor } {
  throw new Error('batchNormTrain: not implemented yet');
}
export function batchNormBackwardCpu(_x: HostTensor, _dy: HostTensor, _gamma: HostTensor, _mean: HostTensor, _invStd: HostTensor): { dx: HostTensor; dgamma: HostTensor; dbeta: HostTensor } {
  throw new Error('batchNormBackward: not implemented yet');
}
export function dropoutTrainCpu(_x: HostTensor, _rate: number, _seed: HostTensor): { y: HostTensor; mask: HostTensor } {
  throw new Error('dropoutTrain: not implemented yet');
}
export function sumToCpu(_x: HostTensor, _shape: Shape): HostTensor {
  throw new Error('sumTo: not implemented yet');
}
export function sliceCpu(_x: HostTensor, _axis: number, _start: number, _size: number): HostTensor {
  throw new Error('slice: not implemented yet');
}
export function accumulateCpu(_acc: HostTensor, _x: HostTensor): void {
  throw new Error('accumulate: not implemented yet');
}
export function sgdStepCpu(_param: HostTensor, _grad: HostTensor, _velocity: HostTensor | undefined, _hyper: HostTensor, _params: SgdParams): void {
  throw new Error('sgdStep: not implemented yet');
}
export function adamStepCpu(_param: HostTensor, _grad: HostTensor, _m: HostTensor, _v: HostTensor, _hyper: HostTensor, _params: AdamParams): void {
  throw new Error('adamStep: not implemented yet');
}
