/**
 * The parameters of the backend primitives the `Backend` interface names (conv2d, pooling,
 * matmul, batch norm, activations): types only, so that the interface, the ops' definitions
 * and the kernels all read them from here without importing each other.
 */
import type { Tensor } from '../tensor.js';

/** Activations by name; parameterised ones take their default constants (leakyRelu's slope 0.01). */
export type ActivationName =
  | 'none' | 'relu6' | 'relu' | 'sigmoid' | 'tanh' | 'scaledTanh' | 'leakyRelu' | 'hardSwish' | 'hardSigmoid'
  | 'gelu' | 'geluTanh' | 'silu' | 'elu' | 'selu' | 'celu' | 'softplus' | 'softsign' | 'mish' | 'thresholdedRelu'
  | 'exp' | 'log' | 'sqrt' | 'abs' | 'neg' | 'reciprocal' | 'floor' | 'ceil' | 'round' | 'sign' | 'erf' | 'sin' | 'cos' | 'not';

/** An activation: a name, or an object for the parameterised ones. */
export type Activation =
  | ActivationName
  | { type: 'leakyRelu'; alpha?: number }
  | { type: 'clip'; min: number; max: number }
  | { type: 'hardSigmoid'; alpha?: number; beta?: number }
  /** approximate 'tanh' is the row geluTanh (PyTorch's GELU(approximate='tanh'), ONNX Gelu's attribute). */
  | { type: 'gelu'; approximate?: 'none' | 'tanh' }
  | { type: 'elu' | 'celu' | 'thresholdedRelu'; alpha?: number }
  | { type: 'selu'; alpha?: number; gamma?: number };

/** Padding: one number for all sides, [vertical, horizontal], [top, left, bottom, right], or SAME/VALID. */
export type Padding2d = number | readonly [number, number] | readonly [number, number, number, number] | 'same' | 'valid';

export interface Conv2dParams {
  /** Stride, one number or [sH, sW]. Default 1. */
  stride?: number | readonly [number, number];
  /** Default 0 ('valid'). 'same' pads so that Ho = ceil(H / sH) (extra padding at bottom/right, as TF and ONNX SAME_UPPER). */
  padding?: Padding2d;
  /** Dilation, one number or [dH, dW]. Default 1. */
  dilation?: number | readonly [number, number];
  /** Groups: C and Cout must both be divisible by it; groups = C = Cout is depthwise. Default 1. */
  groups?: number;
  /** Activation fused into the output. Default none. */
  activation?: Activation;
  /**
   * Connection-table mode (LeNet-5's C3): `connectionTable[o]` lists the input maps output map o
   * reads. Weights then have shape (Σ|table[o]|, kH, kW): the kernels of each (o, input) pair in
   * table order. Incompatible with groups > 1.
   */
  connectionTable?: readonly (readonly number[])[];
  /** Layer name, used in error messages. */
  name?: string;
}

export interface Pool2dParams {
  type: 'max' | 'avg';
  /** Window, one number or [kH, kW]. */
  kernelSize: number | readonly [number, number];
  /** Default: the window size. AlexNet's overlapping pooling is kernel 3, stride 2. */
  stride?: number | readonly [number, number];
  /** Default 0. Padded cells never win a max; for avg see `countIncludePad`. */
  padding?: Padding2d;
  /** Output size rounded up instead of down (windows starting in the padding are dropped, as PyTorch). */
  ceilMode?: boolean;
  /** avg only: divide by the full window including padding (default false, PyTorch's default is true). */
  countIncludePad?: boolean;
  /** Spacing of the window's cells (default 1), as ONNX's MaxPool dilations. Inference only: pool2dBackward refuses it. */
  dilation?: number | readonly [number, number];
  name?: string;
}

/**
 * Adaptive average pooling (PyTorch's AdaptiveAvgPool2d): the output size is fixed and each
 * output cell averages its own bin of the input, so any H×W (even smaller than the target)
 * maps to it. torchvision's AlexNet uses 6 before its classifier, VGG 7.
 */
export interface AdaptivePoolParams {
  /** Output size, one number or [oh, ow]. */
  outputSize: number | readonly [number, number];
  name?: string;
}

export interface SubsampleParams {
  /** Window and stride (LeNet-5: 2). */
  kernelSize?: number;
  stride?: number;
  activation?: Activation;
  name?: string;
}

export interface LrnParams {
  /** Channels in the window (AlexNet: 5). */
  size?: number;
  /** AlexNet: 1e-4 (PyTorch/ONNX convention: divided by size in the formula). */
  alpha?: number;
  /** AlexNet: 0.75. */
  beta?: number;
  /** AlexNet: 2 (PyTorch's default is 1). */
  k?: number;
  name?: string;
}

export interface MatmulParams {
  /** Use aᵀ: a is (…, K, M). */
  transposeA?: boolean;
  /** Use bᵀ: b is (…, N, K) — PyTorch's Linear weight layout. */
  transposeB?: boolean;
  /** Added to every row: shape (N). */
  bias?: Tensor;
  activation?: Activation;
  name?: string;
}

export interface BatchNormParams {
  /** Scale γ, shape (C). */
  gamma: Tensor;
  /** Shift β, shape (C). */
  beta: Tensor;
  /** Running mean, shape (C). */
  mean: Tensor;
  /** Running variance, shape (C). */
  variance: Tensor;
  /** Default 1e-5 (PyTorch). */
  epsilon?: number;
  activation?: Activation;
  name?: string;
}
