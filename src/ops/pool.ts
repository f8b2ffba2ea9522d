/**
 * Pooling, LeNet-5's trainable subsampling and local response normalization: parameters,
 * normalized forms and shape inference shared by the CPU reference and the WebGPU kernels.
 */
import type { Activation } from './activation.js';
import type { Padding2d } from './conv2d.js';

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
