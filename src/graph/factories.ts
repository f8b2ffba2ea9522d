/**
 * Layer constructors: `layers.conv2d({ filters: 6, kernelSize: 5 })` and so on. Each returns
 * plain layer data for `Sequential.add()` or `apply()`.
 */
import type { Activation } from '../ops/activation.js';
import type { ActivationLayer } from '../ops/activation.js';
import type { Conv2dLayer } from '../ops/conv2d.js';
import type { Conv2dTransposeLayer } from '../ops/conv_transpose.js';
import type { Pool2dLayer, GlobalPoolLayer, AdaptiveAvgPoolLayer, SubsampleLayer, LrnLayer } from '../ops/pool.js';
import type { DenseLayer, RbfLayer, SoftmaxLayer } from '../ops/matmul.js';
import type { BatchNormLayer, ConcatLayer } from '../ops/normalization.js';
import type { DropoutLayer, FlattenLayer, AddLayer, MulLayer, ReshapeLayer } from '../ops/elementwise.js';
import type { TransposeLayer } from '../ops/transpose.js';
import type { BinaryLayer, BinaryLayerOp, WhereLayer, PreluLayer } from '../ops/binary.js';
import type { ResizeLayer } from '../ops/resize.js';
import type { PadLayer } from '../ops/pad.js';
import type { DepthToSpaceLayer, SpaceToDepthLayer } from '../ops/depth_to_space.js';
import { InvalidArgumentError } from '../errors.js';
import type { ReduceLayer, ArgReduceLayer } from '../ops/reduce.js';
import type { LayerNormLayer, InstanceNormLayer, GroupNormLayer } from '../ops/norm.js';
import type { SliceLayer, TileLayer, ExpandLayer } from '../ops/strided_view.js';
import type { GatherLayer, GatherElementsLayer } from '../ops/gather.js';

type Without<T, K extends keyof T> = Omit<T, K | 'type'>;

/** A number for both spatial axes, or one per axis. */
const pair2 = (v: number | readonly [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** Options of `layers.upsampling2d` (PyTorch's nn.Upsample on NCHW, Keras's UpSampling2D). */
export interface Upsampling2dOptions {
  /** The factor (Keras's `size`, PyTorch's `scale_factor`): one for both axes or [h, w]. Default 2 when `size` is not given. */
  scale?: number | readonly [number, number];
  /** The output height and width instead (PyTorch's `size`). */
  size?: number | readonly [number, number];
  /** Default 'nearest' (PyTorch's: the input pixel at ⌊o / scale⌋). */
  interpolation?: 'nearest' | 'bilinear';
  /** Bilinear only: PyTorch's align_corners (default false, half-pixel centres). */
  alignCorners?: boolean;
}

/** Keras's ZeroPadding2D padding: one for all sides, [vertical, horizontal], or [[top, bottom], [left, right]]. */
export type Padding2dSpec = number | readonly [number, number] | readonly [readonly [number, number], readonly [number, number]];

/** ONNX's pads for the last two axes, [top, left, bottom, right], from Keras's ZeroPadding2D forms. */
function kerasPads(p: Padding2dSpec): number[] {
  if (typeof p === 'number') return [p, p, p, p];
  const [v, h] = p;
  const [top, bottom] = typeof v === 'number' ? [v, v] : v;
  const [left, right] = typeof h === 'number' ? [h, h] : h;
  return [top, left, bottom, right];
}

/** ONNX's pads for the last two axes from PyTorch's padding forms: one for all sides, or (left, right, top, bottom). */
function torchPads(p: number | readonly [number, number, number, number]): number[] {
  const [left, right, top, bottom] = typeof p === 'number' ? [p, p, p, p] : p;
  return [top, left, bottom, right];
}

export const layers = {
  conv2d: (c: Without<Conv2dLayer, 'type'>): Conv2dLayer => ({ type: 'conv2d', ...c }),
  /** Transposed convolution (PyTorch's ConvTranspose2d): upsampling in decoders and U-Nets. */
  conv2dTranspose: (c: Without<Conv2dTransposeLayer, 'type'>): Conv2dTransposeLayer => ({ type: 'conv2dTranspose', ...c }),
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
  /** log(softmax(x)) along `axis` (default the last), computed stably. */
  logSoftmax: (axis?: number): SoftmaxLayer => (axis === undefined ? { type: 'softmax', log: true } : { type: 'softmax', axis, log: true }),
  /** Elementwise sum of two or more inputs (residual connections), optionally activated. */
  add: (c: Without<AddLayer, 'type'> = {}): AddLayer => ({ type: 'add', ...c }),
  /** Concatenation along channels by default (Inception). */
  concat: (c: Without<ConcatLayer, 'type'> = {}): ConcatLayer => ({ type: 'concat', ...c }),
  /** Elementwise product of two inputs (NumPy broadcasting). */
  mul: (): MulLayer => ({ type: 'mul' }),
  /** a ∘ b of two inputs with NumPy broadcasting: 'sub', 'div', 'pow', 'max', 'min', 'mod' (C's fmod), 'floorMod' (Python's %), comparisons ('less', …) and logic ('and', …) giving 0/1. */
  binary: (op: BinaryLayerOp): BinaryLayer => ({ type: 'binary', op }),
  /** cond ? a : b of three inputs (cond non-zero is true), NumPy broadcasting. */
  where: (): WhereLayer => ({ type: 'where' }),
  /** PReLU with a trainable slope `weight`: shape [C] per channel, [1] (default) shared; init 0.25. */
  prelu: (c: Without<PreluLayer, 'type'> = {}): PreluLayer => ({ type: 'prelu', ...c }),
  /** Same data, a new whole shape: 0 keeps the input's size at that axis, -1 is inferred (`[0, -1]`). */
  reshape: (shape: readonly number[]): ReshapeLayer => ({ type: 'reshape', shape }),
  /** Permutes the axes: output axis i is input axis `perm[i]` (default: reversed). */
  transpose: (perm?: readonly number[]): TransposeLayer => (perm ? { type: 'transpose', perm } : { type: 'transpose' }),
  /** Resizes the last axes (ONNX's Resize: any mode, coordinate transform and rounding). */
  resize: (c: Without<ResizeLayer, 'type'>): ResizeLayer => ({ type: 'resize', ...c }),
  /** Upsamples H and W of NCHW images: nearest (default) or bilinear, by a factor or to a size. */
  upsampling2d: (c: Upsampling2dOptions = {}): ResizeLayer => {
    if (c.size !== undefined && c.scale !== undefined) throw new InvalidArgumentError('upsampling2d', 'give scale or size, not both');
    // PyTorch's: bilinear with half-pixel centres or aligned corners; nearest takes the pixel at ⌊o / scale⌋.
    const mode: Partial<ResizeLayer> = c.interpolation === 'bilinear'
      ? { mode: 'linear', coordinateTransform: c.alignCorners ? 'align_corners' : 'pytorch_half_pixel' }
      : { mode: 'nearest', coordinateTransform: 'asymmetric', nearestMode: 'floor' };
    return c.size === undefined ? { type: 'resize', scales: pair2(c.scale ?? 2), ...mode } : { type: 'resize', sizes: pair2(c.size), ...mode };
  },
  /** Pads the last axes: pads [begin…, end…] (ONNX's layout), constant (default 0), reflect, edge or wrap; negative pads crop. */
  pad: (c: Without<PadLayer, 'type'>): PadLayer => ({ type: 'pad', ...c }),
  /** Zeros around H and W (Keras's ZeroPadding2D): one for all sides, [vertical, horizontal] or [[top, bottom], [left, right]]. */
  zeroPadding2d: (padding: Padding2dSpec = 1): PadLayer => ({ type: 'pad', pads: kerasPads(padding) }),
  /** Mirror padding of H and W without repeating the edge (PyTorch's ReflectionPad2d): one for all sides or [left, right, top, bottom]. */
  reflectionPadding2d: (padding: number | readonly [number, number, number, number]): PadLayer => ({ type: 'pad', pads: torchPads(padding), mode: 'reflect' }),
  /** Channels into b×b blocks: (N, C·b², H, W) → (N, C, H·b, W·b) (ONNX's DepthToSpace, DCR by default). */
  depthToSpace: (blockSize: number, mode?: 'DCR' | 'CRD'): DepthToSpaceLayer => (mode ? { type: 'depthToSpace', blockSize, mode } : { type: 'depthToSpace', blockSize }),
  /** b×b blocks into channels: (N, C, H·b, W·b) → (N, C·b², H, W) (ONNX's SpaceToDepth, DCR by default). */
  spaceToDepth: (blockSize: number, mode?: 'DCR' | 'CRD'): SpaceToDepthLayer => (mode ? { type: 'spaceToDepth', blockSize, mode } : { type: 'spaceToDepth', blockSize }),
  /** PyTorch's PixelShuffle: (N, C·r², H, W) → (N, C, H·r, W·r). */
  pixelShuffle: (upscale: number): DepthToSpaceLayer => ({ type: 'depthToSpace', blockSize: upscale, mode: 'CRD' }),
  /** PyTorch's PixelUnshuffle: (N, C, H·r, W·r) → (N, C·r², H, W). */
  pixelUnshuffle: (downscale: number): SpaceToDepthLayer => ({ type: 'spaceToDepth', blockSize: downscale, mode: 'CRD' }),
  /** A reduction (`op`: sum, mean, max, min, prod, l1, l2, sumSquare, logSum, logSumExp) over `axes` (default all); keepDims default false. */
  reduce: (c: Without<ReduceLayer, 'type'>): ReduceLayer => ({ type: 'reduce', ...c }),
  /** The index of the max along `axis`, as a float (no gradient). */
  argMax: (c: Without<ArgReduceLayer, 'op'>): ArgReduceLayer => ({ type: 'argReduce', op: 'max', ...c }),
  /** The index of the min along `axis`, as a float (no gradient). */
  argMin: (c: Without<ArgReduceLayer, 'op'>): ArgReduceLayer => ({ type: 'argReduce', op: 'min', ...c }),
  /** Normalizes over the axes from `axis` (default -1) on; trainable `weight` and `bias` of that shape. */
  layerNorm: (c: Without<LayerNormLayer, 'type'> = {}): LayerNormLayer => ({ type: 'layerNorm', ...c }),
  /** Normalizes each sample's channels over their spatial axes; trainable per-channel `weight` and `bias`. */
  instanceNorm: (c: Without<InstanceNormLayer, 'type'> = {}): InstanceNormLayer => ({ type: 'instanceNorm', ...c }),
  /** Normalizes each sample over `groups` groups of channels; trainable per-channel `weight` and `bias`. */
  groupNorm: (c: Without<GroupNormLayer, 'type'>): GroupNormLayer => ({ type: 'groupNorm', ...c }),
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
