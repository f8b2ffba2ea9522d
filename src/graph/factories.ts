/**
 * Layer constructors: `layers.conv2d({ filters: 6, kernelSize: 5 })` and so on. Each returns
 * plain layer data for `Sequential.add()` or `apply()`.
 */
import type { Activation } from '../ops/activation.js';
import type { ActivationLayer } from '../ops/activation.js';
import type { Conv2dLayer } from '../ops/conv2d.js';
import type { Pool2dLayer, GlobalPoolLayer, AdaptiveAvgPoolLayer, SubsampleLayer, LrnLayer } from '../ops/pool.js';
import type { DenseLayer, RbfLayer, SoftmaxLayer } from '../ops/matmul.js';
import type { BatchNormLayer, ConcatLayer } from '../ops/normalization.js';
import type { DropoutLayer, FlattenLayer, AddLayer, MulLayer, ReshapeLayer } from '../ops/elementwise.js';
import type { TransposeLayer } from '../ops/transpose.js';
import type { SliceLayer, TileLayer, ExpandLayer } from '../ops/strided_view.js';
import type { GatherLayer, GatherElementsLayer } from '../ops/gather.js';

type Without<T, K extends keyof T> = Omit<T, K | 'type'>;

export const layers = {
  conv2d: (c: Without<Conv2dLayer, 'type'>): Conv2dLayer => ({ type: 'conv2d', ...c }),
  maxPool2d: (c: Without<Pool2dLayer, 'pool' | 'countIncludePad'>): Pool2dLayer => ({ type: 'pool2d', pool: 'max', ...c }),
  avgPool2d: (c: Without<Pool2dLayer, 'pool'>): Pool2dLayer => ({ type: 'pool2d', pool: 'avg', ...c }),
  globalAvgPool: (): GlobalPoolLayer => ({ type: 'globalPool', pool: 'avg' }),
  globalMaxPool: (): GlobalPoolLayer => ({ type: 'globalPool', pool: 'max' }),
  adaptiveAvgPool: (outputSize: number | readonly [number, number]): AdaptiveAvgPoolLayer => ({ type: 'adaptiveAvgPool', outputSize }),
  /** LeNet-5's trainable subsampling (S2, S4). */
  subsample: (c: Without<SubsampleLayer, 'type'> = {}): SubsampleLayer => ({ type: 'subsample', ...c }),
  lrn: (c: Without<LrnLayer, 'type'> = {}): LrnLayer => ({ type: 'lrn', ...c }),
  batchNorm: (c: Without<BatchNormLayer, 'type'> = {}): BatchNormLayer => ({ type: 'batchNorm', ...c }),
  activation: (activation: Activation): ActivationLayer => ({ type: 'activation', activation }),
  relu: (): ActivationLayer => ({ type: 'activation', activation: 'relu' }),
  dropout: (rate: number): DropoutLayer => ({ type: 'dropout', rate }),
  /** Flattens the dimensions from `axis` (default 1) on. */
  flatten: (axis?: number): FlattenLayer => (axis === undefined ? { type: 'flatten' } : { type: 'flatten', axis }),
  dense: (c: Without<DenseLayer, 'type'>): DenseLayer => ({ type: 'dense', ...c }),
  /** LeNet-5's output: squared Euclidean distance to each class's parameter vector. */
  rbf: (c: Without<RbfLayer, 'type'>): RbfLayer => ({ type: 'rbf', ...c }),
  /** Softmax along `axis` of the whole shape (default the last). */
  softmax: (axis?: number): SoftmaxLayer => (axis === undefined ? { type: 'softmax' } : { type: 'softmax', axis }),
  /** Elementwise sum of two or more inputs (residual connections), optionally activated. */
  add: (c: Without<AddLayer, 'type'> = {}): AddLayer => ({ type: 'add', ...c }),
  /** Concatenation along channels by default (Inception). */
  concat: (c: Without<ConcatLayer, 'type'> = {}): ConcatLayer => ({ type: 'concat', ...c }),
  /** Elementwise product of two inputs (NumPy broadcasting). */
  mul: (): MulLayer => ({ type: 'mul' }),
  /** Same data, a new whole shape: 0 keeps the input's size at that axis, -1 is inferred (`[0, -1]`). */
  reshape: (shape: readonly number[]): ReshapeLayer => ({ type: 'reshape', shape }),
  /** Permutes the axes: output axis i is input axis `perm[i]` (default: reversed). */
  transpose: (perm?: readonly number[]): TransposeLayer => (perm ? { type: 'transpose', perm } : { type: 'transpose' }),
  /** `x[starts:ends:steps]` along `axes` (default the first axes), negative values from the end, clamped (ONNX's Slice). */
  slice: (c: Without<SliceLayer, 'type'>): SliceLayer => ({ type: 'slice', ...c }),
  /** Repeats the input `repeats[i]` times along axis i (PyTorch's `repeat`). */
  tile: (repeats: readonly number[]): TileLayer => ({ type: 'tile', repeats }),
  /** Broadcasts the input to `shape` (a 1 keeps the input's size there; PyTorch's `expand`, ONNX's Expand). */
  expand: (shape: readonly number[]): ExpandLayer => ({ type: 'expand', shape }),
  /** Entries `indices` of `axis` (numpy.take); without `indices`, the second input holds them. */
  gather: (c: Without<GatherLayer, 'type'>): GatherLayer => ({ type: 'gather', ...c }),
  /** One entry of `axis` per output element, the indices having the data's rank (torch.gather, ONNX's GatherElements). */
  gatherElements: (c: Without<GatherElementsLayer, 'type'>): GatherElementsLayer => ({ type: 'gatherElements', ...c }),
};
